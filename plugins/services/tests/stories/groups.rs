//! A shared service: people join a group; it starts when it reaches its minimum and everyone
//! in it is told; the price is split among the members to the cent.

use crate::common;

use common::{book, booked, coop_sole, host, mark_done, publish, service_body, slot};
use serde_json::json;

#[test]
fn a_group_starts_at_its_minimum_and_the_price_is_split() {
    let host = host();
    let (coop, provider) = coop_sole(&host);
    let mut body = service_body(
        "Baby sitter condivisa",
        "Baby sitting",
        "per_session",
        "100",
    );
    body["group_size"] = json!("4");
    body["group_minimum"] = json!("3");
    let id = publish(&host, &coop, &provider, body);
    // The group's size is the slot's capacity, whatever was typed.
    let group = slot(&host, &coop, &id, "2026-12-10", "16:00", 99);
    let page = host.get(None, &format!("/api/services/{id}")).body;
    assert_eq!(page["slots"][0]["capacity"], 4);
    // Before the minimum, the share shown is the price over the minimum.
    assert_eq!(page["slots"][0]["share"], "33,34 €");

    let people = host.accounts(["anna", "bruno", "carla", "dario", "elena"], &[]);
    let mut bookings = Vec::new();
    for who in &people[..2] {
        let joined = book(&host, who, &id, Some(&group)).assert_status(201);
        assert_eq!(joined.body["status"], "confirmed");
        bookings.push(joined.body["id"].as_str().unwrap().to_owned());
    }
    assert!(host.notifications_to(&people[0]).is_empty());
    // The third reaches the minimum: the group starts and all three are told, once.
    bookings.push(booked(&host, &people[2], &id, Some(&group)));
    for who in &people[..3] {
        let told = host.notifications_to(who);
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].subject.contains("Il gruppo parte"));
    }
    assert_eq!(
        host.get(None, &format!("/api/services/{id}")).body["slots"][0]["started"],
        true
    );
    bookings.push(booked(&host, &people[3], &id, Some(&group)));
    assert!(host.notifications_to(&people[3]).is_empty());
    assert_eq!(book(&host, &people[4], &id, Some(&group)).status, 409);

    // Done: 100 € among four, 25 € each.
    host.set_time("2026-12-10T18:00:00+01:00");
    let mut total = 0;
    for (who, b) in people.iter().zip(&bookings) {
        mark_done(&host, &coop, b);
        total += host.get(Some(who), &format!("/api/bookings/{b}")).body["paid_directly_cents"]
            .as_i64()
            .unwrap();
    }
    assert_eq!(total, 10_000);
}

#[test]
fn shares_add_up_to_the_whole_price() {
    let service = services::service::Service {
        provider: String::new(),
        offer: services::service::Offer {
            title: String::new(),
            description: String::new(),
            category: String::new(),
            address: String::new(),
            hours: String::new(),
            price_model: services::service::PriceModel::Fixed,
            price_cents: 10_000,
            audience: String::new(),
            group: Some(services::service::Group {
                size: 3,
                minimum: 2,
            }),
        },
        hidden: false,
        hidden_reason: String::new(),
        rating_sum: 0,
        rating_count: 0,
        photos: Vec::new(),
        created_at: 0,
    };
    let shares: Vec<i64> = (0..3)
        .map(|p| services::payment::amount(&service, None, 3, p))
        .collect();
    assert_eq!(shares, [3334, 3333, 3333]);
}
