//! The kind of each server, when poolcheck.toml does not say it: the scheme of the URLs that
//! reach it directly (`mysql2://…` is MySQL), so a MySQL fleet is checked against MySQL's
//! reserve (none: its extra admin connection sits above max_connections) and not
//! PostgreSQL's three superuser slots.

use super::Fleet;

pub fn from_urls(fleet: &mut Fleet) {
    for (i, server) in fleet.servers.iter_mut().enumerate() {
        if server.engine_origin.is_some() {
            continue;
        }
        let mut named = fleet
            .services
            .iter()
            .filter(|s| s.server == i && s.via.is_none())
            .filter_map(|s| s.pool.url_engine.as_ref());
        let Some(first) = named.next() else {
            continue;
        };
        // URLs of different kinds on one server (a poolcheck.toml-less run of a service with
        // a Redis URL first): the first decides only when all agree.
        if named.all(|e| e.value == first.value) {
            server.engine = first.value;
            server.engine_origin = Some(first.origin.clone());
        }
    }
}
