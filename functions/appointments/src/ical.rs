//! RFC 5545 calendar text for one appointment: a stable UID, a SEQUENCE that grows with
//! every change, and METHOD:CANCEL once it is cancelled, so calendar apps update or
//! remove the event they already have instead of adding another.

use chrono::{DateTime, Utc};

pub struct Event<'a> {
    pub uid: String,
    pub sequence: i32,
    pub stamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: &'a str,
    pub description: &'a str,
    pub cancelled: bool,
}

pub fn calendar(e: &Event) -> String {
    let time = |t: &DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Kairos//Bookings//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", if e.cancelled { "CANCEL" } else { "REQUEST" }),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", e.uid),
        format!("SEQUENCE:{}", e.sequence),
        format!("DTSTAMP:{}", time(&e.stamp)),
        format!("DTSTART:{}", time(&e.start)),
        format!("DTEND:{}", time(&e.end)),
        format!("SUMMARY:{}", escape(e.summary)),
        format!("DESCRIPTION:{}", escape(e.description)),
        format!("STATUS:{}", if e.cancelled { "CANCELLED" } else { "CONFIRMED" }),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// TEXT values escape backslash, semicolon, comma and newlines.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines end in CRLF and are folded at 75 octets, never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(cancelled: bool) -> Event<'static> {
        Event {
            uid: "0190@kairos".into(),
            sequence: 2,
            stamp: "2026-06-01T10:00:00Z".parse().unwrap(),
            start: "2026-06-02T08:00:00Z".parse().unwrap(),
            end: "2026-06-02T08:30:00Z".parse().unwrap(),
            summary: "Haircut, Beard; at Müller's \\ Studio",
            description: "Manage: https://example.test/m/abc\nSee you!",
            cancelled,
        }
    }

    #[test]
    fn well_formed_calendar() {
        let ics = calendar(&event(false));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nMETHOD:REQUEST\r\n") && ics.contains("\r\nSTATUS:CONFIRMED\r\n"));
        assert!(ics.contains("\r\nDTSTART:20260602T080000Z\r\n"));
        assert!(ics.contains("SUMMARY:Haircut\\, Beard\\; at Müller's \\\\ Studio"));
        assert!(ics.contains("\\nSee you!"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is longer than 75 octets");
        }
        assert!(!ics.replace("\r\n", "").contains('\n'), "bare newline");
    }

    #[test]
    fn cancellation_is_a_cancel_method() {
        let ics = calendar(&event(true));
        assert!(ics.contains("\r\nMETHOD:CANCEL\r\n") && ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(ics.contains("\r\nUID:0190@kairos\r\n") && ics.contains("\r\nSEQUENCE:2\r\n"));
    }

    #[test]
    fn folding_keeps_characters_whole() {
        let mut out = String::new();
        fold(&"ü".repeat(80), &mut out);
        for line in out.split("\r\n") {
            assert!(line.len() <= 75);
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), "ü".repeat(80));
    }
}
