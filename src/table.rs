//! One table definition: a list of columns (key, label, kind, how to read the cell). From that one
//! list come the page's `<thead>` (`app/src/components/table_head.rs`), its CSV (RFC 4180,
//! formula cells neutralised) and its JSON (`{table, columns, rows}`: numbers as numbers, times
//! as ISO 8601 UTC, a missing value as `null`). Every table the console shows is one of these, so
//! an export cannot drift from the page it came from. No Leptos, no I/O.

pub mod cell;
pub mod csv;
pub mod json;

use std::borrow::Cow;

pub use cell::{Cell, Kind};

/// One column: its key (the CSV header and the JSON key), its label (the page's `<th>`), its kind
/// and how to read its cell from a row.
pub struct Column<R> {
    /// Usually a literal; a table whose columns are fleet data (one per shard) names them at run
    /// time.
    pub key: Cow<'static, str>,
    pub label: String,
    pub kind: Kind,
    /// The page shows this column inside another column's cell (the key named): a dense page
    /// such as the overview's grid. It has no header of its own; the exports hold it as a column.
    pub shown_in: Option<&'static str>,
    /// What the column means, beyond its label (the header's `title`).
    pub help: Option<&'static str>,
    read: Box<dyn Fn(&R) -> Cell + Send + Sync>,
}

impl<R> Column<R> {
    pub fn new(
        key: impl Into<Cow<'static, str>>,
        label: impl Into<String>,
        kind: Kind,
        read: impl Fn(&R) -> Cell + Send + Sync + 'static,
    ) -> Self {
        Column {
            key: key.into(),
            label: label.into(),
            kind,
            shown_in: None,
            help: None,
            read: Box::new(read),
        }
    }

    /// The page shows this column inside `key`'s cell.
    pub fn shown_in(self, key: &'static str) -> Self {
        Column {
            shown_in: Some(key),
            ..self
        }
    }

    pub fn help(self, text: &'static str) -> Self {
        Column {
            help: Some(text),
            ..self
        }
    }

    pub fn read(&self, row: &R) -> Cell {
        (self.read)(row)
    }
}

/// A table of rows `R`: an id (the `table=` of its export URL) and its columns.
pub struct Table<R> {
    pub id: &'static str,
    pub columns: Vec<Column<R>>,
    /// Columns the page shows as a heading over a table of its own rather than as a column (one
    /// table per shard or node); the exports hold them as columns.
    pub grouped_by: &'static [&'static str],
}

impl<R> Table<R> {
    pub fn new(id: &'static str, columns: Vec<Column<R>>) -> Self {
        Table {
            id,
            columns,
            grouped_by: &[],
        }
    }

    /// The same columns under another id (one definition shown on two pages).
    pub fn renamed(self, id: &'static str) -> Self {
        Table { id, ..self }
    }

    /// The page shows one table per value of these columns, under a heading.
    pub fn grouped_by(self, keys: &'static [&'static str]) -> Self {
        Table {
            grouped_by: keys,
            ..self
        }
    }

    /// The `<th>` labels, in order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.label.as_str())
    }

    /// Whether the page gives this column a header of its own (not a heading over a table of its
    /// own, not shown inside another column's cell).
    pub fn has_header(&self, c: &Column<R>) -> bool {
        c.shown_in.is_none() && !self.grouped_by.contains(&c.key.as_ref())
    }

    /// The columns of the page's header row, in order.
    pub fn header(&self) -> impl Iterator<Item = &Column<R>> {
        self.columns.iter().filter(|c| self.has_header(c))
    }

    /// Every cell of one row, in column order.
    pub fn cells(&self, row: &R) -> Vec<Cell> {
        self.columns.iter().map(|c| c.read(row)).collect()
    }

    /// The rows as an export (the page's rows, in the page's order).
    pub fn export<'a>(&self, rows: impl IntoIterator<Item = &'a R>) -> Export
    where
        R: 'a,
    {
        Export {
            table: self.id,
            grouped_by: self.grouped_by,
            columns: self
                .columns
                .iter()
                .map(|c| ColumnInfo {
                    key: c.key.clone(),
                    label: c.label.clone(),
                    kind: c.kind,
                    shown_in: c.shown_in,
                })
                .collect(),
            rows: rows.into_iter().map(|r| self.cells(r)).collect(),
        }
    }
}

/// A column as an export describes it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ColumnInfo {
    pub key: Cow<'static, str>,
    pub label: String,
    pub kind: Kind,
    /// The column the page shows this one inside (absent: a column of its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_in: Option<&'static str>,
}

/// One table's rows, ready to be written as CSV or JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub table: &'static str,
    pub grouped_by: &'static [&'static str],
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Vec<Cell>>,
}

impl Export {
    /// RFC 4180 CSV: a header of column keys, then one line per row, CRLF-terminated.
    pub fn csv(&self) -> String {
        let header: Vec<&str> = self.columns.iter().map(|c| c.key.as_ref()).collect();
        csv::write(
            &header,
            self.rows
                .iter()
                .map(|r| r.iter().map(Cell::csv).collect::<Vec<_>>()),
        )
    }

    /// `{"table", "columns": [{key, label, kind}], "grouped_by", "rows": [{key: value}]}`, no markup
    /// characters (see [`json::html_safe`]).
    pub fn json(&self) -> String {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = self
            .rows
            .iter()
            .map(|r| {
                self.columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| (c.key.to_string(), v.json()))
                    .collect()
            })
            .collect();
        json::html_safe(&serde_json::json!({
            "table": self.table,
            "columns": self.columns,
            "grouped_by": self.grouped_by,
            "rows": rows,
        }))
    }
}

/// Why an export could not be given: the table is not one of the page's, or the page's data for it
/// could not be read.
pub fn unknown_table(table: &str, known: &[&str]) -> crate::Error {
    crate::Error::InvalidInput(format!(
        "unknown table {table:?}: this page's tables are {}",
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        name: &'static str,
        n: Option<u32>,
        at_ms: i64,
    }

    fn table() -> Table<Row> {
        Table::new(
            "things",
            vec![
                Column::new("name", "Name", Kind::Text, |r: &Row| r.name.into()),
                Column::new("n", "Count", Kind::Integer, |r: &Row| r.n.into()),
                Column::new("at", "At (UTC)", Kind::Time, |r: &Row| Cell::Time(r.at_ms)),
            ],
        )
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                name: "=HYPERLINK(\"x\")",
                n: Some(3),
                at_ms: 1_733_580_000_000,
            },
            Row {
                name: "<b>a,b</b>",
                n: None,
                at_ms: 0,
            },
        ]
    }

    #[test]
    fn csv_has_keys_then_neutralised_quoted_cells() {
        let csv = table().export(&rows()).csv();
        assert_eq!(
            csv,
            "name,n,at\r\n\"'=HYPERLINK(\"\"x\"\")\",3,2024-12-07T14:00:00Z\r\n\"<b>a,b</b>\",,1970-01-01T00:00:00Z\r\n"
        );
    }

    #[test]
    fn json_has_numbers_as_numbers_null_for_missing_and_no_markup() {
        let text = table().export(&rows()).json();
        assert!(!text.contains('<'), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["table"], "things");
        assert_eq!(v["columns"][1]["label"], "Count");
        assert_eq!(v["columns"][1]["kind"], "integer");
        assert_eq!(v["rows"][0]["n"], 3);
        assert_eq!(v["rows"][0]["at"], "2024-12-07T14:00:00Z");
        assert!(v["rows"][1]["n"].is_null());
        assert_eq!(v["rows"][1]["name"], "<b>a,b</b>");
    }

    #[test]
    fn labels_come_from_the_same_list() {
        assert_eq!(
            table().labels().collect::<Vec<_>>(),
            ["Name", "Count", "At (UTC)"]
        );
    }
}
