use super::*;
use crate::codec::Props;

fn message(topic: &str, qos: QoS, retain: bool, origin: &str) -> Arc<Message> {
    Arc::new(Message {
        topic: topic.into(),
        payload: "x".into(),
        qos,
        retain,
        properties: Props::default(),
        expires: None,
        origin: Some(Arc::new(Origin {
            client_id: origin.into(),
            username: None,
            listener: 0,
        })),
    })
}

fn client(router: &Router, id: &str, n: u64) -> Arc<Session> {
    session(router, id, n, 0)
}

/// A clean start for `id` on connection `n`, with a session `expiry`.
fn session(router: &Router, id: &str, n: u64, expiry: u32) -> Arc<Session> {
    let claim = Claim {
        id: n,
        waker: Arc::new(Signal::new()),
        reader: None,
    };
    router.open(id, true, expiry, claim).session
}

fn drain(session: &Session) -> Vec<crate::broker::session::Outbound> {
    let mut out = Vec::new();
    let now = std::time::Instant::now();
    session.lock().next_batch(100, 100, now, &mut out);
    out
}

fn opts(qos: QoS, id: Option<u32>) -> SubOptions {
    SubOptions {
        qos,
        id,
        ..SubOptions::default()
    }
}

#[test]
fn overlapping_subscriptions_deliver_once_at_the_highest_qos() {
    let router = Router::default();
    let a = client(&router, "a", 1);
    router.subscribe(&a, "x/#", opts(QoS::AtMostOnce, Some(1)));
    router.subscribe(&a, "x/+", opts(QoS::AtLeastOnce, Some(2)));
    assert_eq!(
        router
            .publish(&message("x/y", QoS::ExactlyOnce, false, "p"), None)
            .sessions,
        1
    );
    let out = drain(&a);
    assert_eq!(out.len(), 1);
    let crate::broker::session::Outbound::Publish { delivery, .. } = &out[0] else {
        panic!("expected a publish");
    };
    assert_eq!(delivery.qos, QoS::AtLeastOnce);
    let mut ids = delivery.sub_ids.clone();
    ids.sort();
    assert_eq!(ids, [1, 2]);
}

#[test]
fn upgrade_outgoing_qos_delivers_at_the_subscription_qos() {
    for (upgrade, expected) in [(false, QoS::AtMostOnce), (true, QoS::ExactlyOnce)] {
        let router = Router {
            upgrade_qos: upgrade,
            ..Router::default()
        };
        let a = client(&router, "a", 1);
        router.subscribe(&a, "t", opts(QoS::ExactlyOnce, None));
        router.publish(&message("t", QoS::AtMostOnce, false, "p"), None);
        let out = drain(&a);
        let [crate::broker::session::Outbound::Publish { delivery, .. }] = &out[..] else {
            panic!("expected one publish");
        };
        assert_eq!(delivery.qos, expected);
    }
}

/// A QoS 0 message upgraded to QoS 1 is queued for offline sessions too: it must be
/// saved, like any QoS 1 message.
#[test]
fn a_message_upgraded_to_qos1_marks_the_state_changed() {
    for (upgrade, changed) in [(false, false), (true, true)] {
        let router = Router {
            upgrade_qos: upgrade,
            ..Router::default()
        };
        let a = session(&router, "a", 1, 60);
        router.subscribe(&a, "t", opts(QoS::AtLeastOnce, None));
        router.take_dirty();
        router.publish(&message("t", QoS::AtMostOnce, false, "p"), None);
        assert_eq!(router.take_dirty(), changed, "upgrade {upgrade}");
    }
}

/// Persistence saves sessions with an expiry only: what happens to one without (the
/// usual clean client) is no reason for a snapshot, nor counted by `autosave_on_changes`.
#[test]
fn only_saved_sessions_mark_the_state_changed() {
    for (expiry, saved) in [(0, false), (60, true)] {
        let router = Router {
            changes: ChangeCount::every(100),
            ..Router::default()
        };
        let a = session(&router, "a", 1, expiry);
        assert_eq!(router.take_dirty(), saved, "open, expiry {expiry}");
        router.subscribe(&a, "t", opts(QoS::AtLeastOnce, None));
        router.publish(&message("t", QoS::AtLeastOnce, false, "p"), None);
        let counted = router.changes().count();
        assert_eq!(counted, if saved { 2 } else { 0 }, "expiry {expiry}");
        assert_eq!(router.take_dirty(), saved, "expiry {expiry}");
        router.unsubscribe(&a, "t");
        assert_eq!(router.take_dirty(), saved, "unsubscribe, expiry {expiry}");
        router.end(&a);
        assert_eq!(router.take_dirty(), saved, "end, expiry {expiry}");
    }
    // A clean start that replaces a saved session changes what is saved.
    let router = Router::default();
    session(&router, "a", 1, 60);
    router.take_dirty();
    session(&router, "a", 2, 0);
    assert!(router.take_dirty());
}

#[test]
fn no_local_and_retain_as_published() {
    let router = Router::default();
    let a = client(&router, "a", 1);
    let local = SubOptions {
        no_local: true,
        ..opts(QoS::AtLeastOnce, None)
    };
    router.subscribe(&a, "t", local);
    assert_eq!(
        router
            .publish(&message("t", QoS::AtLeastOnce, true, "a"), None)
            .sessions,
        0
    );
    let rap = SubOptions {
        retain_as_published: true,
        ..opts(QoS::AtLeastOnce, None)
    };
    router.subscribe(&a, "t", rap);
    router.publish(&message("t", QoS::AtLeastOnce, true, "a"), None);
    let out = drain(&a);
    assert!(
        matches!(&out[..], [crate::broker::session::Outbound::Publish { delivery, .. }] if delivery.retain)
    );
}

#[test]
fn retained_messages_are_stored_replaced_and_cleared() {
    let router = Router::default();
    router.publish(&message("r/1", QoS::AtMostOnce, true, "p"), None);
    router.publish(&message("r/2", QoS::AtMostOnce, true, "p"), None);
    let mut out = Vec::new();
    router.retained("r/+", &mut out);
    assert_eq!(out.len(), 2);
    let mut clear = message("r/1", QoS::AtMostOnce, true, "p");
    if let Some(m) = Arc::get_mut(&mut clear) {
        m.payload = Default::default();
    }
    router.publish(&clear, None);
    assert_eq!(router.counts().2, 1);
}

#[test]
fn clean_start_replaces_the_session_and_its_subscriptions() {
    let router = Router::default();
    let a = client(&router, "a", 1);
    router.subscribe(&a, "t", opts(QoS::AtMostOnce, None));
    router.subscribe(&a, "$share/g/t", opts(QoS::AtMostOnce, None));
    assert_eq!(router.counts(), (1, 2, 0));
    let b = client(&router, "a", 2);
    assert!(a.lock().ended);
    assert_eq!(router.counts(), (1, 0, 0));
    assert!(!router.unsubscribe(&b, "t"));
    router.end(&b);
    assert_eq!(router.counts(), (0, 0, 0));
}

#[test]
fn splits_shared_filters() {
    assert_eq!(split_shared("a/b"), Some((None, "a/b")));
    assert_eq!(split_shared("$share/g/a/#"), Some((Some("g"), "a/#")));
    assert_eq!(split_shared("$share/g"), None);
    assert_eq!(split_shared("$share//a"), None);
    assert_eq!(split_shared("$share/+/a"), None);
}
