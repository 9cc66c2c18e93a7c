//! A table cell as the exports write it: the value, never the page's formatting ("–", "3.2 s").

/// What a column holds: how the JSON writes it and whether the page aligns it as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Integer,
    Number,
    /// Milliseconds since the epoch, written as ISO 8601 UTC.
    Time,
    Flag,
}

impl Kind {
    /// Whether the page right-aligns the column.
    pub fn numeric(self) -> bool {
        matches!(self, Kind::Integer | Kind::Number | Kind::Time)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    /// Milliseconds since the epoch.
    Time(i64),
    Flag(bool),
    /// No value (the page's one "no value" mark; `null` in JSON, empty in CSV).
    Missing,
}

impl Cell {
    /// A time given in whole seconds since the epoch.
    pub fn unix(secs: u32) -> Cell {
        Cell::Time(i64::from(secs) * 1000)
    }

    pub fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(v) if v.is_finite() => format!("{v:.3}"),
            Cell::Num(_) | Cell::Missing => String::new(),
            Cell::Time(ms) => iso_utc(*ms),
            Cell::Flag(b) => b.to_string(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Text(s) => Value::String(s.clone()),
            Cell::Int(n) => Value::from(*n),
            Cell::Num(v) => serde_json::Number::from_f64((v * 1000.0).round() / 1000.0)
                .map_or(Value::Null, Value::Number),
            Cell::Time(ms) => Value::String(iso_utc(*ms)),
            Cell::Flag(b) => Value::Bool(*b),
            Cell::Missing => Value::Null,
        }
    }
}

/// `2026-12-07T14:00:00Z`.
pub fn iso_utc(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Self {
        Cell::Text(s.clone())
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Flag(b)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Num(v)
    }
}

macro_rules! int_cell {
    ($($t:ty),*) => {$(
        impl From<$t> for Cell {
            fn from(n: $t) -> Self {
                i64::try_from(n).map_or(Cell::Missing, Cell::Int)
            }
        }
    )*};
}
int_cell!(i32, i64, u32, u64, usize, u16, u8);

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Missing, Into::into)
    }
}

impl<T: Clone + Into<Cell>> From<&Option<T>> for Cell {
    fn from(v: &Option<T>) -> Self {
        v.clone().map_or(Cell::Missing, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_not_formatting() {
        assert_eq!(Cell::from(Some(2.5_f64)).csv(), "2.500");
        assert_eq!(Cell::from(None::<u32>).csv(), "");
        assert_eq!(Cell::Num(f64::NAN).json(), serde_json::Value::Null);
        assert_eq!(Cell::unix(86_400).csv(), "1970-01-02T00:00:00Z");
        assert_eq!(Cell::Time(-1).csv(), "1969-12-31T23:59:59Z");
        assert!(Kind::Time.numeric() && !Kind::Text.numeric());
    }
}
