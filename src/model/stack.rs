//! The library a service's pool comes from when its config files do not say it: the
//! dependency manifest beside them (package.json, Gemfile, requirements.txt / pyproject.toml,
//! go.mod). Used only as the last resort, so a key or URL shape that names a library wins.

use super::from_files::ServiceSpec;
use super::session::{StackFeature, StackUse};
use super::Origin;
use crate::core::source::{SourceSet, Span};
use crate::input::discover::Input;
use std::path::{Path, PathBuf};

/// The dialect id the manifests beside the spec's files point to, if exactly one stack does.
pub fn of_spec(spec: &ServiceSpec) -> Option<&'static str> {
    evidence_of_spec(spec).map(|(id, _)| id)
}

/// The dialect id with what showed it ("package.json depends on @prisma/client"), for the
/// service's Origin.
pub fn evidence_of_spec(spec: &ServiceSpec) -> Option<(&'static str, String)> {
    // Each folder's first library (pgx before database/sql, SQLAlchemy before asyncpg).
    let mut found: Vec<(&'static str, String)> = dirs_of(spec)
        .iter()
        .filter_map(|d| of_dir(d).into_iter().next())
        .collect();
    found.sort_unstable_by(|a, b| a.0.cmp(b.0));
    found.dedup_by(|a, b| a.0 == b.0);
    match found.as_slice() {
        [_] => found.pop(),
        _ => None,
    }
}

/// Every SQL client library the manifests beside the spec's files name, each once with what
/// showed it: the libraries whose keys the service's files may hold. Empty: the manifests
/// (if any) say nothing, and the stack is unknown.
pub fn libraries_of_spec(spec: &ServiceSpec) -> Vec<(&'static str, String)> {
    let mut found: Vec<(&'static str, String)> =
        dirs_of(spec).iter().flat_map(|d| of_dir(d)).collect();
    found.sort_by(|a, b| a.0.cmp(b.0));
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

/// The folders whose manifests describe the spec's app: its files' folders and their parents.
pub fn dirs_of(spec: &ServiceSpec) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    // Files named on the command line form one service of thousands of files: dedup in a set.
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    // A compose service's app sits beside its compose file.
    if let Some(d) = spec.deployed.as_ref().and_then(|d| d.dir.clone()) {
        seen.insert(d.clone());
        dirs.push(d);
    }
    for input in &spec.inputs {
        let dir = match input {
            Input::File(p, _) => p.parent().map(Path::to_path_buf),
            Input::Chart { dir, .. } if !dir.as_os_str().is_empty() => Some(dir.clone()),
            _ => None,
        };
        // A file in config/ belongs to the app one level up (Rails' config/database.yml);
        // Maven and Gradle keep it in src/main/resources, three levels below pom.xml.
        for d in dir.into_iter().flat_map(|d| {
            let up = d.parent().map(Path::to_path_buf);
            let project = d
                .ends_with("src/main/resources")
                .then(|| d.ancestors().nth(3).map(Path::to_path_buf))
                .flatten();
            std::iter::once(d).chain(up).chain(project)
        }) {
            if seen.insert(d.clone()) {
                dirs.push(d);
            }
        }
    }
    dirs
}

/// Reads at most this much of a manifest: they are small, and a huge one is not an app's.
const MAX_MANIFEST: u64 = 1 << 20;

pub fn read(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    (meta.is_file() && meta.len() <= MAX_MANIFEST)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
}

/// The libraries a folder's manifests name, read once per folder and run: a service of many
/// files asks again for every folder its files share.
fn of_dir(dir: &Path) -> Vec<(&'static str, String)> {
    type Memo = std::collections::HashMap<PathBuf, Vec<(&'static str, String)>>;
    static MEMO: std::sync::Mutex<Option<Memo>> = std::sync::Mutex::new(None);
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    let memo = memo.get_or_insert_with(Memo::new);
    if let Some(found) = memo.get(dir) {
        return found.clone();
    }
    let found = read_dir_manifests(dir);
    memo.insert(dir.to_path_buf(), found.clone());
    found
}

fn read_dir_manifests(dir: &Path) -> Vec<(&'static str, String)> {
    if let Some(text) = read(&dir.join("package.json")) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Vec::new();
        };
        let has = |name: &str| {
            ["dependencies", "devDependencies"]
                .iter()
                .any(|k| v.get(k).and_then(|d| d.get(name)).is_some())
        };
        // Prisma opens its own pool whatever else is installed; pg is node-postgres.
        // https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool
        // https://node-postgres.com/apis/pool
        if has("@prisma/client") {
            return vec![("prisma", "package.json depends on @prisma/client".into())];
        }
        // A query builder or ORM over the driver (knex, Sequelize, TypeORM) has a pool of
        // its own: the driver alone does not name the library.
        // https://knexjs.org/guide/#pool
        // https://sequelize.org/v6/manual/connection-pool.html
        // https://typeorm.io/docs/data-source/data-source-options/
        let orms: Vec<(&'static str, String)> = ["typeorm", "sequelize", "knex"]
            .into_iter()
            .filter(|name| has(name))
            .map(|name| (name, format!("package.json depends on {name}")))
            .collect();
        if !orms.is_empty() {
            return orms;
        }
        // https://github.com/sidorares/node-mysql2 (createPool)
        if has("mysql2") && !has("pg") {
            return vec![("mysql2", "package.json depends on mysql2".into())];
        }
        if has("pg") {
            return vec![("node-postgres", "package.json depends on pg".into())];
        }
        return Vec::new();
    }
    if let Some(text) = read(&dir.join("Gemfile")) {
        let rails = text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("gem \"rails\"")
                || l.starts_with("gem 'rails'")
                || l.starts_with("gem \"activerecord\"")
                || l.starts_with("gem 'activerecord'")
        });
        return if rails {
            vec![("rails", "Gemfile names the rails gem".into())]
        } else {
            Vec::new()
        };
    }
    let python: Vec<(&str, String)> = ["requirements.txt", "pyproject.toml"]
        .into_iter()
        .filter_map(|f| read(&dir.join(f)).map(|t| (f, t.to_ascii_lowercase())))
        .collect();
    if !python.is_empty() {
        let mut out = Vec::new();
        // https://docs.djangoproject.com/en/5.0/ref/databases/#persistent-connections
        let libs = [
            ("sqlalchemy", "sqlalchemy"),
            ("asyncpg", "asyncpg"),
            ("django", "django"),
        ];
        for (id, lib) in libs {
            if let Some((file, _)) = python.iter().find(|(_, t)| t.contains(lib)) {
                out.push((id, format!("{file} names {lib}")));
            }
        }
        // psycopg 3's pool ships as psycopg-pool, or the psycopg[pool] extra:
        // https://www.psycopg.org/psycopg3/docs/advanced/pool.html
        let pool = |t: &str| {
            t.contains("psycopg-pool")
                || t.contains("psycopg_pool")
                || t.lines()
                    .any(|l| l.contains("psycopg[") && l.contains("pool") && l.contains(']'))
        };
        if let Some((file, _)) = python.iter().find(|(_, t)| pool(t)) {
            out.push(("psycopg-pool", format!("{file} names psycopg's pool")));
        }
        return out;
    }
    let java: Vec<(&str, String)> = ["pom.xml", "build.gradle", "build.gradle.kts"]
        .into_iter()
        .filter_map(|f| read(&dir.join(f)).map(|t| (f, t.to_ascii_lowercase())))
        .collect();
    if !java.is_empty() {
        return java_pools(&java);
    }
    let mut out = Vec::new();
    if let Some(text) = read(&dir.join("go.mod")) {
        // GORM keeps its pool in database/sql (db.DB() returns the *sql.DB, sized with
        // SetMaxOpenConns, default 0 = unlimited), whatever driver it requires (its postgres
        // driver brings pgx in as a database/sql driver):
        // https://gorm.io/docs/generic_interface.html#Connection-Pool
        if text.contains("gorm.io/gorm") {
            out.push((
                "go-sql",
                "go.mod requires gorm.io/gorm (a database/sql pool)".into(),
            ));
            return out;
        }
        if text.contains("github.com/jackc/pgx") {
            out.push(("pgx", "go.mod requires github.com/jackc/pgx".into()));
        }
        // Both drivers are used through database/sql: https://github.com/go-sql-driver/mysql#usage
        for driver in ["github.com/lib/pq", "github.com/go-sql-driver/mysql"] {
            if text.contains(driver) {
                out.push(("go-sql", format!("go.mod requires {driver}")));
                break;
            }
        }
    }
    out
}

/// The Java pool libraries a build file depends on, by artifact id (lower-cased), the one
/// that provides the DataSource first: Druid's starter configures itself before Spring
/// Boot's DataSource auto-configuration, which prefers HikariCP over Tomcat JDBC and DBCP2.
/// https://github.com/alibaba/druid/tree/master/druid-spring-boot-starter
/// https://docs.spring.io/spring-boot/reference/data/sql.html#data.sql.datasource.connection-pool
/// https://commons.apache.org/proper/commons-dbcp/ (commons-dbcp2)
/// https://tomcat.apache.org/tomcat-10.1-doc/jdbc-pool.html (tomcat-jdbc)
/// https://www.mchange.com/projects/c3p0/ (com.mchange:c3p0, hibernate-c3p0)
const JAVA_POOLS: &[(&str, &[&str])] = &[
    (
        "druid",
        &[
            "druid-spring-boot-starter",
            "druid-spring-boot-3-starter",
            "<artifactid>druid</artifactid>",
            "com.alibaba:druid:",
        ],
    ),
    (
        "hikari",
        &[
            "hikaricp",
            "spring-boot-starter-jdbc",
            "spring-boot-starter-data-jpa",
            "spring-boot-starter-data-jdbc",
        ],
    ),
    ("tomcat-jdbc", &["tomcat-jdbc"]),
    ("dbcp2", &["commons-dbcp2"]),
    ("c3p0", &["c3p0"]),
];

/// A Java pool other than HikariCP, Spring Boot's default: a build file naming it means
/// the JDBC URL is that pool's.
pub fn is_java_pool(id: &str) -> bool {
    id != "hikari" && JAVA_POOLS.iter().any(|(p, _)| *p == id)
}

fn java_pools(files: &[(&str, String)]) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for (id, needles) in JAVA_POOLS {
        let hit = needles.iter().find_map(|n| {
            let (file, _) = files.iter().find(|(_, t)| t.contains(*n))?;
            let n = n.trim_start_matches("<artifactid>");
            let n = n.trim_end_matches("</artifactid>").trim_end_matches(':');
            Some(format!("{file} depends on {n}"))
        });
        if let Some(evidence) = hit {
            out.push((*id, evidence));
        }
    }
    // Spring Boot's spring.datasource.* (the URL every pool is given) are read with
    // HikariCP's keys, Boot's default pool.
    let boot = files.iter().find(|(_, t)| t.contains("spring-boot"));
    if let Some((file, _)) = boot.filter(|_| !out.iter().any(|(id, _)| *id == "hikari")) {
        if !out.is_empty() {
            out.push(("hikari", format!("{file} uses Spring Boot")));
        }
    }
    out
}

/// What a Rails app beside the spec's files runs that needs a database session of its own:
/// GoodJob (a `gem "good_job"` line in its Gemfile) and Action Cable's postgresql adapter
/// (`adapter: postgresql` in config/cable.yml's block for the environment). The files are read
/// into `sources`, so a finding points at the line that turns the feature on.
pub fn session_uses(
    spec: &ServiceSpec,
    sources: &mut SourceSet,
    opts: &super::from_files::BuildOptions,
) -> Vec<StackUse> {
    let dirs = dirs_of(spec);
    let max = opts.max_file_size;
    let mut out = Vec::new();
    let gemfile = dirs.iter().map(|d| d.join("Gemfile")).find(|p| p.is_file());
    if let Some(u) = gemfile.and_then(|p| good_job(&p, sources, max)) {
        out.push(u);
    }
    let cable = dirs
        .iter()
        .flat_map(|d| [d.join("cable.yml"), d.join("config").join("cable.yml")])
        .find(|p| p.is_file());
    if let Some(u) = cable.and_then(|p| action_cable(&p, sources, &opts.environment, max)) {
        out.push(u);
    }
    out
}

/// GoodJob "uses connection-based advisory locks and LISTEN/NOTIFY, both of which require
/// full database connections" (README, "PgBouncer compatibility"):
/// https://github.com/bensheldon/good_job#pgbouncer-compatibility
fn good_job(path: &Path, sources: &mut SourceSet, max: u64) -> Option<StackUse> {
    let id = super::from_files::read_source(path, sources, max).ok()?;
    let text = &sources.get(id).text;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let lead = line.len() - line.trim_start().len();
        let body = line.trim();
        if body.starts_with("gem \"good_job\"") || body.starts_with("gem 'good_job'") {
            let start = offset + lead;
            return Some(StackUse {
                feature: StackFeature::GoodJob,
                evidence: "Gemfile names the good_job gem".into(),
                origin: Origin::file(id, Span::new(start, start + body.len())),
            });
        }
        offset += line.len();
    }
    None
}

/// Action Cable's postgresql subscription adapter LISTENs on a connection made from the
/// app's database configuration ("It uses Active Record's connection pool, and thus the
/// application's config/database.yml database configuration"):
/// https://guides.rubyonrails.org/action_cable_overview.html#postgresql-adapter
/// https://github.com/rails/rails/blob/main/actioncable/lib/action_cable/subscription_adapter/postgresql.rb
fn action_cable(
    path: &Path,
    sources: &mut SourceSet,
    environment: &str,
    max: u64,
) -> Option<StackUse> {
    use crate::input::formats::{erb, yaml, NodeKind};
    let id = super::from_files::read_source(path, sources, max).ok()?;
    let text = sources.get(id).text.to_string();
    // ERB tags (a Redis URL from ENV) become placeholders of the same length.
    let text = if erb::has_erb(&text) {
        erb::scan(id, &text).ok()?.yaml
    } else {
        text
    };
    let docs = yaml::parse_config(id, &text, "cable.yml").ok()?;
    let block = super::from_files::environment_block(docs.first()?, environment);
    let adapter = block.get("adapter")?;
    let NodeKind::Scalar(s) = &adapter.kind else {
        return None;
    };
    (s.as_text()?.trim() == "postgresql").then(|| StackUse {
        feature: StackFeature::ActionCablePostgres,
        evidence: "config/cable.yml sets adapter: postgresql".into(),
        origin: Origin::file(id, adapter.span),
    })
}

/// The application a service is, from the strongest evidence its inputs give: the image it
/// runs (compose, manifests), the chart's name (Chart.yaml) or an image a values file names,
/// an environment variable under the app's own prefix, then a file typical of the app.
pub fn app_of_spec(spec: &ServiceSpec) -> Option<super::presets::Detection> {
    use super::presets;
    if let Some(d) = spec
        .deployed
        .as_ref()
        .and_then(|d| d.image.as_deref())
        .and_then(presets::by_image)
    {
        return Some(d);
    }
    for input in &spec.inputs {
        if let Input::Chart { dir, values } = input {
            if !dir.as_os_str().is_empty() {
                let name = read(&dir.join("Chart.yaml")).and_then(|t| chart_name(&t));
                if let Some(d) = name.as_deref().and_then(presets::by_chart) {
                    return Some(d);
                }
            }
            let files = std::iter::once(dir.join("values.yaml")).chain(values.iter().cloned());
            for f in files {
                let image = read(&f).and_then(|t| values_image(&t));
                if let Some(d) = image.as_deref().and_then(presets::by_image) {
                    return Some(d);
                }
            }
        }
    }
    let deployed_env = spec
        .deployed
        .iter()
        .flat_map(|d| d.env.iter().map(|v| v.name.clone()));
    let env_files = spec.inputs.iter().filter_map(|i| match i {
        Input::File(p, crate::input::discover::Kind::Env) => read(p),
        _ => None,
    });
    let file_keys = env_files.flat_map(|t| {
        t.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let l = l.strip_prefix("export ").unwrap_or(l);
                l.split_once('=').map(|(k, _)| k.trim().to_string())
            })
            .collect::<Vec<_>>()
    });
    if let Some(d) = deployed_env
        .chain(file_keys)
        .find_map(|k| presets::by_env(&k))
    {
        return Some(d);
    }
    // A file name is the weakest evidence: config/config.json is Mattermost's and
    // sequelize-cli's alike, so it does not count when the manifests beside it name a library
    // that is not the application's own client.
    let named = libraries_of_spec(spec);
    spec.inputs
        .iter()
        .find_map(|i| match i {
            Input::File(p, _) => presets::by_file(p),
            _ => None,
        })
        .filter(|d| {
            let client = crate::input::presets::get(d.preset).and_then(|p| p.client.as_deref());
            named.is_empty() || named.iter().any(|(id, _)| Some(*id) == client)
        })
}

/// The top-level `name:` of a Chart.yaml.
fn chart_name(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let v = l.strip_prefix("name:")?;
        Some(v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The image a values file names at its top level (`image: {repository: …}` or
/// `image: repo:tag`), where most single-app charts keep it.
fn values_image(text: &str) -> Option<String> {
    let mut in_image = false;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("image:") {
            let v = v.split('#').next().unwrap_or("").trim();
            if !v.is_empty() {
                return Some(v.trim_matches(['"', '\'']).to_string());
            }
            in_image = true;
            continue;
        }
        if in_image {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                in_image = false;
                continue;
            }
            if let Some(v) = line.trim().strip_prefix("repository:") {
                let v = v.split('#').next().unwrap_or("").trim();
                return Some(v.trim_matches(['"', '\'']).to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_and_values_name_the_app() {
        assert_eq!(
            chart_name("apiVersion: v2\nname: \"grafana\"\nversion: 8.0.0\n").as_deref(),
            Some("grafana")
        );
        let values = "replicaCount: 2\nimage:\n  repository: mattermost/mattermost-team-edition\n  tag: 9.11\nservice: {}\n";
        assert_eq!(
            values_image(values).as_deref(),
            Some("mattermost/mattermost-team-edition")
        );
        assert_eq!(
            values_image("image: gitea/gitea:1.22 # pinned\n").as_deref(),
            Some("gitea/gitea:1.22")
        );
        assert_eq!(values_image("web:\n  image:\n    repository: x\n"), None);
    }

    fn ids(dir: &Path) -> Vec<&'static str> {
        read_dir_manifests(dir)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    #[test]
    fn a_node_orm_names_its_own_pool_not_the_driver() {
        let tmp = tempfile::tempdir().unwrap();
        let pkg = |deps: &str| {
            let text = format!("{{\"name\": \"api\", \"dependencies\": {{{deps}}}}}");
            std::fs::write(tmp.path().join("package.json"), text).unwrap();
        };
        pkg(r#""sequelize": "^6.37.3", "pg": "^8.12.0""#);
        assert_eq!(ids(tmp.path()), ["sequelize"]);
        assert_eq!(
            read_dir_manifests(tmp.path())[0].1,
            "package.json depends on sequelize"
        );
        pkg(r#""typeorm": "^0.3.20", "mysql2": "^3.11.0""#);
        assert_eq!(ids(tmp.path()), ["typeorm"]);
        pkg(r#""knex": "^3.1.0", "pg": "^8.12.0""#);
        assert_eq!(ids(tmp.path()), ["knex"]);
        pkg(r#""pg": "^8.12.0""#);
        assert_eq!(ids(tmp.path()), ["node-postgres"]);
    }

    #[test]
    fn requirements_naming_psycopg_pool_name_it() {
        let tmp = tempfile::tempdir().unwrap();
        let req = |text: &str| std::fs::write(tmp.path().join("requirements.txt"), text).unwrap();
        req("fastapi==0.115.0\npsycopg[binary,pool]==3.2.3\n");
        assert_eq!(ids(tmp.path()), ["psycopg-pool"]);
        req("psycopg-pool==3.2.3\nsqlalchemy==2.0.35\n");
        assert_eq!(ids(tmp.path()), ["sqlalchemy", "psycopg-pool"]);
        req("psycopg[binary]==3.2.3\n");
        assert!(ids(tmp.path()).is_empty());
    }

    #[test]
    fn gorm_pools_with_database_sql_even_over_pgx() {
        let tmp = tempfile::tempdir().unwrap();
        let go_mod = "module example.com/svc\n\ngo 1.22\n\nrequire (\n\tgorm.io/driver/postgres v1.5.9\n\tgorm.io/gorm v1.25.12\n)\n\nrequire github.com/jackc/pgx/v5 v5.6.0 // indirect\n";
        std::fs::write(tmp.path().join("go.mod"), go_mod).unwrap();
        assert_eq!(ids(tmp.path()), ["go-sql"]);
        std::fs::write(
            tmp.path().join("go.mod"),
            "module m\nrequire github.com/jackc/pgx/v5 v5.6.0\n",
        )
        .unwrap();
        assert_eq!(ids(tmp.path()), ["pgx"]);
    }

    #[test]
    fn a_java_build_file_names_its_pool_library() {
        let tmp = tempfile::tempdir().unwrap();
        let pom = |deps: &[&str]| {
            let deps: String = deps
                .iter()
                .map(|a| format!("<dependency><artifactId>{a}</artifactId></dependency>"))
                .collect();
            let text = format!("<project><artifactId>app</artifactId><dependencies>{deps}</dependencies></project>");
            std::fs::write(tmp.path().join("pom.xml"), text).unwrap();
        };
        pom(&["spring-boot-starter-web", "druid-spring-boot-3-starter"]);
        assert_eq!(ids(tmp.path()), ["druid", "hikari"]);
        assert_eq!(
            read_dir_manifests(tmp.path())[0].1,
            "pom.xml depends on druid-spring-boot-3-starter"
        );
        pom(&["spring-boot-starter-jdbc"]);
        assert_eq!(ids(tmp.path()), ["hikari"]);
        pom(&["commons-dbcp2"]);
        assert_eq!(ids(tmp.path()), ["dbcp2"]);
        pom(&["hibernate-core", "hibernate-c3p0"]);
        assert_eq!(ids(tmp.path()), ["c3p0"]);
        pom(&["guava"]);
        assert!(ids(tmp.path()).is_empty());
        std::fs::remove_file(tmp.path().join("pom.xml")).unwrap();
        std::fs::write(
            tmp.path().join("build.gradle"),
            "dependencies {\n    implementation 'org.apache.tomcat:tomcat-jdbc:10.1.28'\n}\n",
        )
        .unwrap();
        assert_eq!(ids(tmp.path()), ["tomcat-jdbc"]);
    }
}
