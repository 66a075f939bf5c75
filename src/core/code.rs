//! Rule codes as a type: a misspelt code is a compile error, not a finding nobody can match.
//! The catalogue (rules/*.toml) holds each code's name, severity and docs; a test fails when
//! the two drift apart.

use std::fmt;

macro_rules! codes {
    ($($code:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($code),*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$code),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code)),*
                }
            }
        }
    };
}

codes!(
    PC001, PC002, PC003, PC004, PC005, PC006, PC007, PC008, PC009, PC010, PC011, PC012, PC015,
    PC101, PC102, PC103, PC104, PC105, PC201, PC202, PC203, PC204, PC205, PC206, PC301, PC302,
    PC303, PC401, PC402, PC403, PC404, PC501, PC502, PC503, PC504, PC505, PC506, PC507, PC508,
    PC509, PC510, PC511, PC512,
);

impl Code {
    /// The code spelled `PC101` (any case).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_back() {
        for c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Code::parse("pc101"), Some(Code::PC101));
        assert_eq!(Code::parse("PC999"), None);
    }
}
