//! One notification as a mail: plain text and HTML alternatives rendered by the instance's
//! theme (`mail.txt`, `mail.html`) in the recipient's language, its link made absolute.

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};
use serde_json::json;
use trama_manifest::MailSection;

use crate::instance::Instance;
use crate::notify::delivery::Outgoing;

/// The recipient's address: their username, which is an e-mail address unless it has no `@`
/// (accounts created for people without one). `Err` is why nothing can be sent, for good.
pub(super) fn recipient(outgoing: &Outgoing) -> Result<Address, String> {
    let username = &outgoing.message.username;
    if !username.contains('@') {
        return Err(format!(
            "the account `{username}` has no e-mail address (its username is not one)"
        ));
    }
    username
        .parse::<Address>()
        .map_err(|err| format!("the username `{username}` is not a valid e-mail address: {err}"))
}

/// The `Message-ID` of notification `id`: the same on every attempt, from every node, so a
/// message sent twice (a node stopped between the SMTP server's acceptance and recording it)
/// carries one id that mail systems and readers can recognise as a duplicate.
pub fn message_id(instance: &str, id: &str, from: &str) -> String {
    let domain = from.rsplit_once('@').map_or("trama.invalid", |(_, d)| d);
    format!("<notification.{id}.{instance}@{domain}>")
}

/// The language of the mail: the recipient's, if the instance speaks it, else the instance's.
pub(super) fn language<'a>(instance: &'a Instance, outgoing: &'a Outgoing) -> &'a str {
    outgoing
        .locale
        .as_deref()
        .filter(|locale| instance.theme.speaks(locale))
        .unwrap_or(&instance.manifest.instance.locale)
}

/// Builds the mail of `outgoing` to `to`. `Err` is a fault of the configuration or the theme
/// (a template that does not render, an unusable sender), worth retrying once fixed.
pub(super) fn compose(
    instance: &Instance,
    config: &MailSection,
    outgoing: &Outgoing,
    to: Address,
) -> Result<Message, String> {
    let locale = language(instance, outgoing);
    let message = &outgoing.message;
    let link = message
        .link
        .as_ref()
        .map(|path| format!("{}{path}", config.base_url));
    let context = json!({
        "instance_name": instance.manifest.instance.name,
        "recipient_name": outgoing.display_name,
        "subject": message.subject,
        "body": message.body,
        // For the HTML part, which joins them with `<br>`: each line escaped on its own.
        "body_lines": message.body.lines().collect::<Vec<_>>(),
        "link": link,
        "site_url": format!("{}/", config.base_url),
        "inbox_url": format!("{}/notifications", config.base_url),
    });
    let render = |template: &str| {
        instance
            .theme
            .render(template, locale, &context)
            .map_err(|err| format!("the theme's {template} does not render: {err}"))
    };
    let html = render("mail.html")?;
    let text = render("mail.txt")?;
    let from_address: Address = config
        .from
        .parse()
        .map_err(|err| format!("[mail] from {:?} is not usable: {err}", config.from))?;
    Message::builder()
        .from(Mailbox::new(Some(config.from_name.clone()), from_address))
        .to(Mailbox::new(Some(outgoing.display_name.clone()), to))
        .subject(message.subject.clone())
        .message_id(Some(message_id(instance.id(), &message.id, &config.from)))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|err| format!("the mail cannot be built: {err}"))
}
