//! The personal plan: goals, the actions toward each, and where each stands. Changes are pure
//! functions over the case, written back by the caller with the case's version (a stale write
//! is a conflict, not a lost update).

use trama_sdk::input::{Input, Problems};
use trama_sdk::t;

use crate::case::{Action, Case, Goal, Outcome, Progress, State};

fn item_text(input: &Input, problems: &mut Problems) -> String {
    let text = input.one("text").unwrap_or_default().to_owned();
    if text.is_empty() {
        problems.push("text", t!("casework.problems.text_missing"));
    } else if text.chars().count() > 500 {
        problems.push("text", t!("casework.problems.too_long", max = 500));
    }
    text
}

/// A new goal: `text`.
pub fn add_goal(case: &mut Case, input: &Input) -> Result<u32, Problems> {
    let mut problems = Problems::default();
    let text = item_text(input, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let n = case.goals.iter().map(|g| g.n).max().unwrap_or(0) + 1;
    case.goals.push(Goal {
        n,
        text,
        status: Progress::Planned,
        actions: Vec::new(),
    });
    Ok(n)
}

/// A new action of a goal: `goal` (its number), `text`.
pub fn add_action(case: &mut Case, input: &Input) -> Result<String, Problems> {
    let mut problems = Problems::default();
    let text = item_text(input, &mut problems);
    let goal = input.one("goal").and_then(|g| g.parse::<u32>().ok());
    let index = goal.and_then(|n| case.goals.iter().position(|g| g.n == n));
    if index.is_none() {
        problems.push("goal", t!("casework.problems.goal"));
    }
    let (Some(index), true) = (index, problems.is_empty()) else {
        return Err(problems);
    };
    let goal = &mut case.goals[index];
    let n = goal.actions.iter().map(|a| a.n).max().unwrap_or(0) + 1;
    goal.actions.push(Action {
        n,
        text,
        status: Progress::Planned,
    });
    Ok(format!("{}.{n}", goal.n))
}

/// Sets where a goal (`item` = `2`) or an action (`item` = `2.1`) stands (`status`).
pub fn set_progress(case: &mut Case, input: &Input) -> Result<(), Problems> {
    let mut problems = Problems::default();
    let status = input.one("status").and_then(Progress::parse);
    if status.is_none() {
        problems.push("status", t!("casework.problems.status"));
    }
    let item = input.one("item").unwrap_or_default();
    let (goal, action) = match item.split_once('.') {
        Some((g, a)) => (g.parse::<u32>().ok(), Some(a.parse::<u32>().ok())),
        None => (item.parse::<u32>().ok(), None),
    };
    let target = goal
        .and_then(|g| case.goals.iter_mut().find(|x| x.n == g))
        .and_then(|goal| match action {
            None => Some(&mut goal.status),
            Some(a) => goal
                .actions
                .iter_mut()
                .find(|x| Some(x.n) == a)
                .map(|x| &mut x.status),
        });
    match (target, status) {
        (Some(target), Some(status)) => {
            *target = status;
            Ok(())
        }
        (None, _) => {
            problems.push("item", t!("casework.problems.item"));
            Err(problems)
        }
        (Some(_), None) => Err(problems),
    }
}

/// Closes the case with an `outcome` from the fixed list and an optional `note`.
pub fn close(case: &mut Case, input: &Input, now: i64) -> Result<Outcome, Problems> {
    let mut problems = Problems::default();
    let outcome = input.one("outcome").and_then(Outcome::parse);
    if outcome.is_none() {
        problems.push("outcome", t!("casework.problems.outcome"));
    }
    let note = input.one("note").unwrap_or_default().to_owned();
    if note.chars().count() > 2000 {
        problems.push("note", t!("casework.problems.too_long", max = 2000));
    }
    let Some(outcome) = outcome.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    case.status = State::Closed;
    case.outcome = Some(outcome);
    case.closed_at = Some(now);
    case.closing_note = note;
    Ok(outcome)
}
