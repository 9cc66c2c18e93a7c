//! CSV (RFC 4180): quoting, and cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
//! `@` first) prefixed with `'` so an exported route or query text cannot execute in the reader's
//! spreadsheet.

/// One CSV document: a header line and rows, CRLF-terminated.
pub fn write(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = line(header.iter().map(|h| h.to_string()));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut out = cells
        .into_iter()
        .map(|c| cell(&c))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

fn cell(v: &str) -> String {
    let guarded = match v.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => format!("'{v}"),
        Some('-') if v.parse::<f64>().is_err() => format!("'{v}"),
        _ => v.to_string(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_guards() {
        let csv = write(
            &["a", "b"],
            [
                vec!["x,y".to_string(), "say \"hi\"".to_string()],
                vec!["=cmd()".into(), "-1.5".into()],
            ],
        );
        assert_eq!(csv, "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n'=cmd(),-1.5\r\n");
    }
}
