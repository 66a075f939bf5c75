//! STUB (replaced by the parse branch).
use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct UrlParam {
    pub key: String,
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DbUrl {
    pub scheme: String,
    pub user: Option<String>,
    pub has_password: bool,
    pub hosts: Vec<(String, Option<u16>)>,
    pub database: Option<String>,
    pub params: Vec<UrlParam>,
}

impl DbUrl {
    pub fn param(&self, key: &str) -> Option<&UrlParam> {
        self.params.iter().find(|p| p.key == key)
    }
    pub fn server_key(&self) -> String {
        String::new()
    }
}

pub fn parse(_s: &str) -> Option<DbUrl> {
    None
}
pub fn options_gucs(_value: &str) -> Vec<(String, String)> {
    vec![]
}
pub fn find_urls(_text: &str) -> Vec<(usize, DbUrl)> {
    vec![]
}
