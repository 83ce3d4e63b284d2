/// "Kiel.LOCALHOST:3000" → "kiel.localhost"; "[::1]:3000" → "::1".
/// Returns None for values no browser would send.
pub fn normalize_host(value: &str) -> Option<String> {
    let value = value.trim();
    let host = if let Some(rest) = value.strip_prefix('[') {
        rest.split(']').next()?
    } else {
        match value.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            Some(_) => return None,
            None => value,
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':');
    valid.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::normalize_host;

    #[test]
    fn case_port_and_trailing_dot_are_ignored() {
        assert_eq!(
            normalize_host("Kiel.LOCALHOST:3000").as_deref(),
            Some("kiel.localhost")
        );
        assert_eq!(
            normalize_host("kiel.localhost.").as_deref(),
            Some("kiel.localhost")
        );
        assert_eq!(normalize_host("[::1]:3000").as_deref(), Some("::1"));
        assert_eq!(normalize_host("kiel.localhost:abc"), None);
        assert_eq!(normalize_host("evil/host"), None);
        assert_eq!(normalize_host(""), None);
    }
}
