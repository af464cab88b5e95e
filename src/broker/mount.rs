//! `mount_point`: a listener's topic prefix. Its clients name topics below it without
//! knowing: what they publish, subscribe to and leave as a will gets the prefix, what they
//! receive loses it, and they never see a topic outside it. A shared subscription keeps its
//! `$share/GROUP/` in front. (mosquitto 2.0.11 leaves the prefix on what it delivers and
//! mounts `$share/...` as a plain filter, bugs fixed in 2.0.12; mqtk does what 1.6 and 2.0.12
//! do.)

use super::router::split_shared;
use std::borrow::Cow;

/// Turns `topic`, as the client of a listener mounted at `mount` named it, into the broker's
/// name for it.
pub fn prefix(mount: Option<&str>, topic: &mut String) {
    if let Some(mount) = mount {
        topic.insert_str(0, mount);
    }
}

/// `filter` (maybe `$share/GROUP/FILTER`) as the broker names it; a malformed shared filter
/// is left for the subscription to refuse.
pub fn filter<'a>(mount: Option<&str>, filter: &'a str) -> Cow<'a, str> {
    let Some(mount) = mount else {
        return Cow::Borrowed(filter);
    };
    match split_shared(filter) {
        Some((Some(group), rest)) => Cow::Owned(format!("$share/{group}/{mount}{rest}")),
        Some((None, rest)) => Cow::Owned(format!("{mount}{rest}")),
        None => Cow::Borrowed(filter),
    }
}

/// `topic` as the client names it: without the prefix; `None` when it lies outside.
pub fn unmount<'a>(mount: Option<&str>, topic: &'a str) -> Option<&'a str> {
    match mount {
        Some(mount) => topic.strip_prefix(mount).filter(|rest| !rest.is_empty()),
        None => Some(topic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_goes_on_in_and_comes_off_out() {
        let m = Some("tenant/");
        let mut topic = "a/b".to_string();
        prefix(m, &mut topic);
        assert_eq!(topic, "tenant/a/b");
        prefix(None, &mut topic);
        assert_eq!(topic, "tenant/a/b");
        assert_eq!(filter(m, "#"), "tenant/#");
        assert_eq!(filter(m, "$share/g/s/+"), "$share/g/tenant/s/+");
        assert_eq!(filter(m, "$share/g"), "$share/g");
        assert_eq!(filter(None, "$share/g/s"), "$share/g/s");
        assert_eq!(unmount(m, "tenant/a/b"), Some("a/b"));
        assert_eq!(unmount(m, "tenant/"), None);
        assert_eq!(unmount(m, "other/a"), None);
        assert_eq!(unmount(None, "other/a"), Some("other/a"));
    }
}
