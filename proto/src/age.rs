//! How old a container's state is, in docker's words. The engine's status
//! text ("Up 3 minutes", "Exited (0) 2 hours ago") is worded once, when
//! listed; `ContainerInfo.state_age_ms` says how old the state was then,
//! so a client can word it again as time passes (`aged_status`) instead of
//! showing "Up Less than a second" for ever.

use std::time::Duration;

/// A duration as docker words it (go-units' HumanDuration): "Less than a
/// second", "5 seconds", "About a minute", "3 hours", "2 weeks"...
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    let minutes = (secs / 60.0) as u64;
    let hours = (secs / 3600.0).round() as u64;
    if secs < 1.0 {
        "Less than a second".into()
    } else if secs < 2.0 {
        "1 second".into()
    } else if secs < 60.0 {
        format!("{} seconds", secs as u64)
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", hours / 24 / 365)
    }
}

/// Whether `status` words an age of `age` (as the engine would have when
/// it listed the container `age` after its start or exit).
pub fn words_age(status: &str, age: Duration) -> bool {
    status.contains(&human_duration(age))
}

/// `status`, listed when its state was `listed` old, worded again for
/// an age of `now`. A text that does not word `listed` (no age in it:
/// "Created", "Dead") is kept as it is.
pub fn aged_status(status: &str, listed: Duration, now: Duration) -> String {
    let (then, later) = (human_duration(listed), human_duration(now));
    if then == later || !status.contains(&then) {
        return status.to_string();
    }
    status.replacen(&then, &later, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_docker_words_them() {
        let d = |s: u64| human_duration(Duration::from_secs(s));
        assert_eq!(
            human_duration(Duration::from_millis(300)),
            "Less than a second"
        );
        assert_eq!(d(1), "1 second");
        assert_eq!(d(42), "42 seconds");
        assert_eq!(d(90), "About a minute");
        assert_eq!(d(600), "10 minutes");
        assert_eq!(d(3600), "About an hour");
        assert_eq!(d(5 * 3600), "5 hours");
        assert_eq!(d(3 * 86400), "3 days");
    }

    #[test]
    fn statuses_age() {
        let s = Duration::from_secs;
        assert_eq!(
            aged_status("Up Less than a second", Duration::ZERO, s(130)),
            "Up 2 minutes"
        );
        assert_eq!(
            aged_status("Up 5 seconds (healthy)", s(5), s(7200)),
            "Up 2 hours (healthy)"
        );
        assert_eq!(
            aged_status("Exited (1) 1 second ago", s(1), s(61)),
            "Exited (1) About a minute ago"
        );
        assert_eq!(
            aged_status("Up 2 minutes (Paused)", s(150), s(170)),
            "Up 2 minutes (Paused)"
        );
        assert_eq!(aged_status("Created", s(3), s(300)), "Created");
        assert!(words_age("Up 3 minutes", s(200)));
        assert!(!words_age("Up 3 minutes", s(2)));
    }
}
