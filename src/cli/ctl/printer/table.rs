//! The `table` format: etcdctl 3.4's `tablePrinter` (olekukonko/tablewriter defaults) drawn
//! with comfy-table.
//!
//! tablewriter's look: `+`/`-`/`|` borders, one space of padding, an upper-case header row
//! centred (extra space goes right), a rule under the header, body cells right-aligned
//! (`SetAlignment(ALIGN_RIGHT)`), no rules between rows, a newline after the bottom border.

use std::io::{self, Write};

use comfy_table::{
    Cell, CellAlignment, ContentArrangement, ContentLineStyle, LineStyle, Table, TableStyle,
};

use super::{member_rows, status_rows, EpHashKv, EpHealth, EpStatus};
use crate::pb::etcdserverpb::MemberListResponse;

/// comfy-table style: ASCII borders and header rule, `|` between columns, no row rules.
const TABLEWRITER: TableStyle = TableStyle::new()
    .top_border(LineStyle::new('+', '-', '+', '+'))
    .header_lines(ContentLineStyle::new('|', '|', '|'))
    .header_separator(LineStyle::new('+', '-', '+', '+'))
    .content_lines(ContentLineStyle::new('|', '|', '|'))
    .bottom_border(LineStyle::new('+', '-', '+', '+'));

/// Renders `hdr` and `rows` exactly as tablewriter would (trailing newline included).
pub fn render(hdr: &[&str], rows: &[Vec<String>]) -> String {
    let hdr: Vec<String> = hdr
        .iter()
        .map(|h| h.to_uppercase().replace(['_', '.'], " "))
        .collect();
    let width = |s: &str| s.chars().count();
    let mut t = Table::new();
    t.load_style(TABLEWRITER)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(hdr.iter().enumerate().map(|(i, h)| {
            // tablewriter centres with the odd space on the right; comfy-table puts it on the
            // left, so pad the header ourselves and align it left.
            let col = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| width(c))
                .fold(width(h), usize::max);
            let gap = col - width(h);
            let padded = format!("{}{h}{}", " ".repeat(gap / 2), " ".repeat(gap - gap / 2));
            Cell::new(padded).set_alignment(CellAlignment::Left)
        }));
    for row in rows {
        t.add_row(
            row.iter()
                .map(|c| Cell::new(c).set_alignment(CellAlignment::Right)),
        );
    }
    let mut s = t.to_string();
    s.push('\n');
    s
}

/// `member list -w table`.
///
/// # Errors
/// I/O errors.
pub fn member_list(w: &mut dyn Write, r: &MemberListResponse) -> io::Result<()> {
    let hdr = [
        "ID",
        "Status",
        "Name",
        "Peer Addrs",
        "Client Addrs",
        "Is Learner",
    ];
    w.write_all(render(&hdr, &member_rows(r)).as_bytes())
}

/// `endpoint health -w table`.
///
/// # Errors
/// I/O errors.
pub fn endpoint_health(w: &mut dyn Write, hs: &[EpHealth]) -> io::Result<()> {
    let hdr = ["endpoint", "health", "took", "error"];
    let rows: Vec<Vec<String>> = hs
        .iter()
        .map(|h| {
            vec![
                h.ep.clone(),
                h.health.to_string(),
                h.took.clone(),
                h.error.clone(),
            ]
        })
        .collect();
    w.write_all(render(&hdr, &rows).as_bytes())
}

/// `endpoint status -w table`.
///
/// # Errors
/// I/O errors.
pub fn endpoint_status(w: &mut dyn Write, st: &[EpStatus]) -> io::Result<()> {
    let hdr = [
        "endpoint",
        "ID",
        "version",
        "db size",
        "is leader",
        "is learner",
        "raft term",
        "raft index",
        "raft applied index",
        "errors",
    ];
    w.write_all(render(&hdr, &status_rows(st)).as_bytes())
}

/// `endpoint hashkv -w table`.
///
/// # Errors
/// I/O errors.
pub fn endpoint_hashkv(w: &mut dyn Write, hs: &[EpHashKv]) -> io::Result<()> {
    let rows: Vec<Vec<String>> = hs
        .iter()
        .map(|h| vec![h.ep.clone(), h.resp.hash.to_string()])
        .collect();
    w.write_all(render(&["endpoint", "hash"], &rows).as_bytes())
}

/// `snapshot status -w table` (etcdctl's `makeDBStatusTable`).
///
/// # Errors
/// I/O errors.
pub fn db_status(w: &mut dyn Write, s: &super::DbStatus) -> io::Result<()> {
    w.write_all(
        render(
            &["hash", "revision", "total keys", "total size"],
            &[super::db_status_row(s)],
        )
        .as_bytes(),
    )
}
