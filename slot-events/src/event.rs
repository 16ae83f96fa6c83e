//! What a page is told about a lock event: its name and the time of day.
//!
//! The extension publishes JSON today (`{"event", "date", "resource",
//! "time", "owner", "fence", "expires_at_ms"}`), and the payload's format
//! may become more compact; this is the one place that reads it, and it
//! stays tolerant: anything it cannot read still becomes a `changed` event,
//! which makes the page refetch the day. Owners and fences never leave.

use serde_json::Value;

/// The SSE frame for one published payload.
pub fn frame(payload: &[u8]) -> String {
    let (event, time) = parse(payload);
    let data = serde_json::json!({ "event": event, "time": time });
    format!("event: slot\ndata: {data}\n\n")
}

/// (event name, time of day) of a payload, as far as it can be read.
pub fn parse(payload: &[u8]) -> (String, Option<String>) {
    let value: Value = match serde_json::from_slice(payload) {
        Ok(value) => value,
        Err(_) => return ("changed".into(), None),
    };
    let event = value
        .get("event")
        .and_then(Value::as_str)
        .filter(|e| {
            !e.is_empty() && e.len() <= 16 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .unwrap_or("changed")
        .to_string();
    let time = value
        .get("time")
        .and_then(Value::as_str)
        .filter(|t| valid_time(t))
        .map(str::to_string);
    (event, time)
}

fn valid_time(time: &str) -> bool {
    let b = time.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit)
        && (b[0] - b'0') * 10 + (b[1] - b'0') < 24
        && b[3] < b'6'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_event_and_time_and_drops_the_owner() {
        let frame = frame(br#"{"event":"acquired","date":"2031-01-02","resource":"r","time":"10:30","owner":"Ada","fence":7}"#);
        assert_eq!(
            frame,
            "event: slot\ndata: {\"event\":\"acquired\",\"time\":\"10:30\"}\n\n"
        );
    }

    #[test]
    fn anything_unreadable_is_a_change() {
        assert_eq!(parse(b"a|10:30|x"), ("changed".to_string(), None));
        assert_eq!(
            parse(br#"{"event":"<script>","time":"99:99"}"#),
            ("changed".to_string(), None)
        );
        assert_eq!(
            parse(br#"{"event":"released","time":"24:00"}"#),
            ("released".to_string(), None)
        );
    }
}
