//! JSON with no markup characters.

/// JSON whose `<`, `>` and `&` (which can only occur inside strings) are written as `\u003c`,
/// `\u003e`, `\u0026`: the same values to any JSON reader, and no markup if a tool pastes the
/// document into a page or a browser sniffs it.
pub fn html_safe<T: serde::Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_carries_no_markup_and_decodes_to_the_same_text() {
        let name = "A</title><script>x</script>&b";
        let text = super::html_safe(&vec![name]);
        assert!(!text.contains('<') && !text.contains('&'), "{text}");
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, [name]);
    }
}
