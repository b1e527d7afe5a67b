//! The lifecycles of a request and of each subject in it, as explicit state machines.
//!
//! Request:
//!
//! ```text
//! Received ──Gated(Accepted)──▶ Accepted ──Matched{needs_review: true}──▶ InReview ──AllDecided──▶ Decided ──Released──▶ Released ──Closed──▶ Closed
//!    │                             ▲    └──Matched{needs_review: false}─▶ Matched ──AllDecided──▶ ┘
//!    ├──Gated(Held)──▶ Held ──OfficerAccepted──┘
//!    │                  └──OfficerRejected──▶ Rejected ──Closed──▶ Closed
//!    └──Gated(Rejected)──────────────────────▶ Rejected
//! ```
//!
//! Subject:
//!
//! ```text
//! Received ──Gated(Accepted)──▶ Queued ──Matched{match|review}──▶ InReview ──ReviewerConfirmed──▶ Confirmed ──Released──▶ Released ──Retracted──▶ Retracted
//!    │                            ▲   └──Matched{no_match}──▶ NoMatch        └──ReviewerRefuted──▶ Refuted
//!    ├──Gated(Held)──▶ Held ──OfficerAccepted──┘
//!    │                  └──OfficerRejected──▶ Rejected
//!    └──Gated(Rejected)──▶ Rejected
//! ```
//!
//! "No release without a recorded per-record determination": the only way into
//! [`SubjectState::Released`] is from [`SubjectState::Confirmed`], which only a reviewer's
//! [`SubjectEvent::ReviewerConfirmed`] reaches. There is no bulk or file-level approval event.
//! Every other state × event pair is a [`LifecycleError`].

use serde::{Deserialize, Serialize};

use crate::gate::Outcome;

/// Why a transition or a state name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The event is not allowed in the request's current state.
    #[error("request event {event} is not allowed in state {from}")]
    Request {
        /// The current state.
        from: &'static str,
        /// The refused event.
        event: &'static str,
    },
    /// The event is not allowed in the subject's current state.
    #[error("subject event {event} is not allowed in state {from}")]
    Subject {
        /// The current state.
        from: &'static str,
        /// The refused event.
        event: &'static str,
    },
    /// Not a state name.
    #[error("unknown state {0:?}")]
    UnknownState(String),
    /// Release refused: some subjects still lack a determination.
    #[error(
        "release refused: {undecided} subject(s) without a determination ({in_review} in review, {held} held, {queued} queued or not yet gated)"
    )]
    Undecided {
        /// Total subjects without a determination.
        undecided: usize,
        /// Subjects waiting for a reviewer.
        in_review: usize,
        /// Subjects waiting for a disclosure officer.
        held: usize,
        /// Subjects not yet matched or not yet gated.
        queued: usize,
    },
}

/// Where a request stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Received and stored, not yet gated.
    Received,
    /// Refused by the gate or a disclosure officer.
    Rejected,
    /// Waiting for a disclosure officer.
    Held,
    /// Passed the gate; waiting to be matched.
    Accepted,
    /// Matched; nothing needs a reviewer (no candidate matches).
    Matched,
    /// Candidate matches wait for reviewers.
    InReview,
    /// Every subject has a recorded determination.
    Decided,
    /// The response has been released.
    Released,
    /// End of use certified, or the rejection answered; nothing more happens.
    Closed,
}

/// What can happen to a request.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RequestEvent {
    /// The gate decided.
    Gated(Outcome),
    /// A disclosure officer accepted a held request.
    OfficerAccepted,
    /// A disclosure officer rejected a held request.
    OfficerRejected,
    /// Matching ran; `needs_review` when any subject has a candidate match.
    Matched {
        /// Whether any subject waits for a reviewer.
        needs_review: bool,
    },
    /// Every subject has a recorded determination (see [`release_ready`]).
    AllDecided,
    /// The response was released (with its ledger entry).
    Released,
    /// The request is closed.
    Closed,
}

impl RequestEvent {
    /// The event's name, for errors and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestEvent::Gated(Outcome::Accepted) => "gated_accepted",
            RequestEvent::Gated(Outcome::Held) => "gated_held",
            RequestEvent::Gated(Outcome::Rejected) => "gated_rejected",
            RequestEvent::OfficerAccepted => "officer_accepted",
            RequestEvent::OfficerRejected => "officer_rejected",
            RequestEvent::Matched { needs_review: true } => "matched_needs_review",
            RequestEvent::Matched {
                needs_review: false,
            } => "matched",
            RequestEvent::AllDecided => "all_decided",
            RequestEvent::Released => "released",
            RequestEvent::Closed => "closed",
        }
    }
}

impl RequestState {
    /// Every state.
    pub const ALL: [RequestState; 9] = [
        RequestState::Received,
        RequestState::Rejected,
        RequestState::Held,
        RequestState::Accepted,
        RequestState::Matched,
        RequestState::InReview,
        RequestState::Decided,
        RequestState::Released,
        RequestState::Closed,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::Rejected => "rejected",
            RequestState::Held => "held",
            RequestState::Accepted => "accepted",
            RequestState::Matched => "matched",
            RequestState::InReview => "in_review",
            RequestState::Decided => "decided",
            RequestState::Released => "released",
            RequestState::Closed => "closed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Result<RequestState, LifecycleError> {
        RequestState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| LifecycleError::UnknownState(s.to_owned()))
    }

    /// The state after `event`, or an error naming both.
    pub fn apply(self, event: RequestEvent) -> Result<RequestState, LifecycleError> {
        use RequestEvent as E;
        use RequestState as S;
        let next = match (self, event) {
            (S::Received, E::Gated(Outcome::Accepted)) => S::Accepted,
            (S::Received, E::Gated(Outcome::Held)) => S::Held,
            (S::Received, E::Gated(Outcome::Rejected)) => S::Rejected,
            (S::Held, E::OfficerAccepted) => S::Accepted,
            (S::Held, E::OfficerRejected) => S::Rejected,
            (S::Accepted, E::Matched { needs_review: true }) => S::InReview,
            (
                S::Accepted,
                E::Matched {
                    needs_review: false,
                },
            ) => S::Matched,
            (S::InReview | S::Matched, E::AllDecided) => S::Decided,
            (S::Decided, E::Released) => S::Released,
            (S::Released | S::Rejected, E::Closed) => S::Closed,
            _ => {
                return Err(LifecycleError::Request {
                    from: self.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(next)
    }
}

/// The matcher's outcome for one subject, as the lifecycle sees it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum MatchOutcome {
    /// One taxpayer, strong evidence; still reviewed before release (rule 20).
    Match,
    /// Uncertain or ambiguous; a reviewer decides (rule 19).
    Review,
    /// No plausible taxpayer; the response is `no_information` (rule 18).
    NoMatch,
}

impl From<crosscheck_contract::Outcome> for MatchOutcome {
    fn from(o: crosscheck_contract::Outcome) -> MatchOutcome {
        match o {
            crosscheck_contract::Outcome::Match => MatchOutcome::Match,
            crosscheck_contract::Outcome::Review => MatchOutcome::Review,
            crosscheck_contract::Outcome::NoMatch => MatchOutcome::NoMatch,
        }
    }
}

/// Where one subject stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SubjectState {
    /// Stored, not yet gated.
    Received,
    /// Refused by the gate or a disclosure officer; the response carries reason codes.
    Rejected,
    /// Waiting for a disclosure officer.
    Held,
    /// Passed the gate; waiting for matching.
    Queued,
    /// No plausible taxpayer; answered `no_information`.
    NoMatch,
    /// A candidate match waits for a reviewer.
    InReview,
    /// A reviewer confirmed the match (a recorded per-record determination).
    Confirmed,
    /// A reviewer refuted the match; answered `no_information`.
    Refuted,
    /// The confirmed answer was released.
    Released,
    /// A release later withdrawn after a misidentification report (rule 34).
    Retracted,
}

/// What can happen to one subject.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SubjectEvent {
    /// The gate decided.
    Gated(Outcome),
    /// A disclosure officer accepted a held subject.
    OfficerAccepted,
    /// A disclosure officer rejected a held subject.
    OfficerRejected,
    /// Matching ran.
    Matched {
        /// The matcher's outcome.
        outcome: MatchOutcome,
    },
    /// A reviewer confirmed the candidate match.
    ReviewerConfirmed,
    /// A reviewer refuted the candidate match.
    ReviewerRefuted,
    /// The confirmed answer was released.
    Released,
    /// The release was withdrawn after a misidentification report.
    Retracted,
}

impl SubjectEvent {
    /// The event's name, for errors and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectEvent::Gated(Outcome::Accepted) => "gated_accepted",
            SubjectEvent::Gated(Outcome::Held) => "gated_held",
            SubjectEvent::Gated(Outcome::Rejected) => "gated_rejected",
            SubjectEvent::OfficerAccepted => "officer_accepted",
            SubjectEvent::OfficerRejected => "officer_rejected",
            SubjectEvent::Matched {
                outcome: MatchOutcome::Match,
            } => "matched_match",
            SubjectEvent::Matched {
                outcome: MatchOutcome::Review,
            } => "matched_review",
            SubjectEvent::Matched {
                outcome: MatchOutcome::NoMatch,
            } => "matched_no_match",
            SubjectEvent::ReviewerConfirmed => "reviewer_confirmed",
            SubjectEvent::ReviewerRefuted => "reviewer_refuted",
            SubjectEvent::Released => "released",
            SubjectEvent::Retracted => "retracted",
        }
    }
}

impl SubjectState {
    /// Every state.
    pub const ALL: [SubjectState; 10] = [
        SubjectState::Received,
        SubjectState::Rejected,
        SubjectState::Held,
        SubjectState::Queued,
        SubjectState::NoMatch,
        SubjectState::InReview,
        SubjectState::Confirmed,
        SubjectState::Refuted,
        SubjectState::Released,
        SubjectState::Retracted,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectState::Received => "received",
            SubjectState::Rejected => "rejected",
            SubjectState::Held => "held",
            SubjectState::Queued => "queued",
            SubjectState::NoMatch => "no_match",
            SubjectState::InReview => "in_review",
            SubjectState::Confirmed => "confirmed",
            SubjectState::Refuted => "refuted",
            SubjectState::Released => "released",
            SubjectState::Retracted => "retracted",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Result<SubjectState, LifecycleError> {
        SubjectState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| LifecycleError::UnknownState(s.to_owned()))
    }

    /// The state a subject enters when the gate decides it.
    pub fn gated(outcome: Outcome) -> SubjectState {
        match outcome {
            Outcome::Accepted => SubjectState::Queued,
            Outcome::Held => SubjectState::Held,
            Outcome::Rejected => SubjectState::Rejected,
        }
    }

    /// The state after `event`, or an error naming both.
    pub fn apply(self, event: SubjectEvent) -> Result<SubjectState, LifecycleError> {
        use SubjectEvent as E;
        use SubjectState as S;
        let next = match (self, event) {
            (S::Received, E::Gated(o)) => S::gated(o),
            (S::Held, E::OfficerAccepted) => S::Queued,
            (S::Held, E::OfficerRejected) => S::Rejected,
            (
                S::Queued,
                E::Matched {
                    outcome: MatchOutcome::Match | MatchOutcome::Review,
                },
            ) => S::InReview,
            (
                S::Queued,
                E::Matched {
                    outcome: MatchOutcome::NoMatch,
                },
            ) => S::NoMatch,
            (S::InReview, E::ReviewerConfirmed) => S::Confirmed,
            (S::InReview, E::ReviewerRefuted) => S::Refuted,
            (S::Confirmed, E::Released) => S::Released,
            (S::Released, E::Retracted) => S::Retracted,
            _ => {
                return Err(LifecycleError::Subject {
                    from: self.as_str(),
                    event: event.as_str(),
                });
            }
        };
        Ok(next)
    }

    /// Whether the subject has its determination (nothing more is needed before release).
    pub fn is_decided(self) -> bool {
        !matches!(
            self,
            SubjectState::Received
                | SubjectState::Held
                | SubjectState::Queued
                | SubjectState::InReview
        )
    }
}

/// Whether a request's response may be released: every subject must have a recorded
/// determination. Refuses, naming how many, while any subject is in review, held, queued or
/// not yet gated.
pub fn release_ready(subjects: &[SubjectState]) -> Result<(), LifecycleError> {
    let count = |f: fn(&SubjectState) -> bool| subjects.iter().filter(|s| f(s)).count();
    let in_review = count(|s| *s == SubjectState::InReview);
    let held = count(|s| *s == SubjectState::Held);
    let queued = count(|s| matches!(s, SubjectState::Queued | SubjectState::Received));
    let undecided = in_review + held + queued;
    if undecided == 0 {
        Ok(())
    } else {
        Err(LifecycleError::Undecided {
            undecided,
            in_review,
            held,
            queued,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeSet, VecDeque};

    const OUTCOMES: [Outcome; 3] = [Outcome::Accepted, Outcome::Held, Outcome::Rejected];

    fn request_events() -> Vec<RequestEvent> {
        let mut v: Vec<RequestEvent> = OUTCOMES.into_iter().map(RequestEvent::Gated).collect();
        v.extend([
            RequestEvent::OfficerAccepted,
            RequestEvent::OfficerRejected,
            RequestEvent::Matched { needs_review: true },
            RequestEvent::Matched {
                needs_review: false,
            },
            RequestEvent::AllDecided,
            RequestEvent::Released,
            RequestEvent::Closed,
        ]);
        v
    }

    fn subject_events() -> Vec<SubjectEvent> {
        let mut v: Vec<SubjectEvent> = OUTCOMES.into_iter().map(SubjectEvent::Gated).collect();
        v.extend([
            SubjectEvent::OfficerAccepted,
            SubjectEvent::OfficerRejected,
            SubjectEvent::Matched {
                outcome: MatchOutcome::Match,
            },
            SubjectEvent::Matched {
                outcome: MatchOutcome::Review,
            },
            SubjectEvent::Matched {
                outcome: MatchOutcome::NoMatch,
            },
            SubjectEvent::ReviewerConfirmed,
            SubjectEvent::ReviewerRefuted,
            SubjectEvent::Released,
            SubjectEvent::Retracted,
        ]);
        v
    }

    /// The documented request transitions, and nothing else.
    fn request_table(s: RequestState, e: RequestEvent) -> Option<RequestState> {
        use RequestEvent as E;
        use RequestState as S;
        Some(match (s, e) {
            (S::Received, E::Gated(Outcome::Accepted)) => S::Accepted,
            (S::Received, E::Gated(Outcome::Held)) => S::Held,
            (S::Received, E::Gated(Outcome::Rejected)) => S::Rejected,
            (S::Held, E::OfficerAccepted) => S::Accepted,
            (S::Held, E::OfficerRejected) => S::Rejected,
            (S::Accepted, E::Matched { needs_review: true }) => S::InReview,
            (
                S::Accepted,
                E::Matched {
                    needs_review: false,
                },
            ) => S::Matched,
            (S::InReview, E::AllDecided) | (S::Matched, E::AllDecided) => S::Decided,
            (S::Decided, E::Released) => S::Released,
            (S::Released, E::Closed) | (S::Rejected, E::Closed) => S::Closed,
            _ => return None,
        })
    }

    /// The documented subject transitions, and nothing else.
    fn subject_table(s: SubjectState, e: SubjectEvent) -> Option<SubjectState> {
        use SubjectEvent as E;
        use SubjectState as S;
        Some(match (s, e) {
            (S::Received, E::Gated(Outcome::Accepted)) => S::Queued,
            (S::Received, E::Gated(Outcome::Held)) => S::Held,
            (S::Received, E::Gated(Outcome::Rejected)) => S::Rejected,
            (S::Held, E::OfficerAccepted) => S::Queued,
            (S::Held, E::OfficerRejected) => S::Rejected,
            (
                S::Queued,
                E::Matched {
                    outcome: MatchOutcome::Match,
                },
            ) => S::InReview,
            (
                S::Queued,
                E::Matched {
                    outcome: MatchOutcome::Review,
                },
            ) => S::InReview,
            (
                S::Queued,
                E::Matched {
                    outcome: MatchOutcome::NoMatch,
                },
            ) => S::NoMatch,
            (S::InReview, E::ReviewerConfirmed) => S::Confirmed,
            (S::InReview, E::ReviewerRefuted) => S::Refuted,
            (S::Confirmed, E::Released) => S::Released,
            (S::Released, E::Retracted) => S::Retracted,
            _ => return None,
        })
    }

    #[test]
    fn every_request_state_and_event_transitions_as_documented_or_errs() {
        for s in RequestState::ALL {
            for e in request_events() {
                match (s.apply(e), request_table(s, e)) {
                    (Ok(got), Some(want)) => assert_eq!(got, want, "{s:?} {e:?}"),
                    (Err(err), None) => {
                        assert_eq!(
                            err,
                            LifecycleError::Request {
                                from: s.as_str(),
                                event: e.as_str()
                            }
                        );
                    }
                    (got, want) => panic!("{s:?} {e:?}: got {got:?}, documented {want:?}"),
                }
            }
        }
    }

    #[test]
    fn every_subject_state_and_event_transitions_as_documented_or_errs() {
        for s in SubjectState::ALL {
            for e in subject_events() {
                match (s.apply(e), subject_table(s, e)) {
                    (Ok(got), Some(want)) => assert_eq!(got, want, "{s:?} {e:?}"),
                    (Err(err), None) => assert!(err.to_string().contains(s.as_str())),
                    (got, want) => panic!("{s:?} {e:?}: got {got:?}, documented {want:?}"),
                }
            }
        }
    }

    fn reachable_subject_states(avoid: Option<SubjectState>) -> BTreeSet<SubjectState> {
        let mut seen = BTreeSet::from([SubjectState::Received]);
        let mut queue = VecDeque::from([SubjectState::Received]);
        while let Some(s) = queue.pop_front() {
            for e in subject_events() {
                if let Ok(n) = s.apply(e)
                    && Some(n) != avoid
                    && seen.insert(n)
                {
                    queue.push_back(n);
                }
            }
        }
        seen
    }

    #[test]
    fn no_path_reaches_released_without_passing_confirmed() {
        let all = reachable_subject_states(None);
        assert!(all.contains(&SubjectState::Released));
        let without = reachable_subject_states(Some(SubjectState::Confirmed));
        assert!(!without.contains(&SubjectState::Released));
        assert!(!without.contains(&SubjectState::Retracted));
    }

    #[test]
    fn only_a_reviewer_confirmation_reaches_confirmed() {
        for s in SubjectState::ALL {
            for e in subject_events() {
                if s.apply(e) == Ok(SubjectState::Confirmed) {
                    assert_eq!(
                        (s, e),
                        (SubjectState::InReview, SubjectEvent::ReviewerConfirmed)
                    );
                }
            }
        }
    }

    #[test]
    fn a_request_reaches_released_only_through_decided() {
        for s in RequestState::ALL {
            for e in request_events() {
                if s.apply(e) == Ok(RequestState::Released) {
                    assert_eq!(s, RequestState::Decided);
                }
            }
        }
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in SubjectState::ALL {
            assert_eq!(SubjectState::parse(s.as_str()), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(
            RequestState::parse("approved"),
            Err(LifecycleError::UnknownState("approved".into()))
        );
        assert!(SubjectState::parse("").is_err());
    }

    #[test]
    fn release_is_refused_while_subjects_are_undecided_and_names_how_many() {
        use SubjectState as S;
        let states = [
            S::Confirmed,
            S::InReview,
            S::InReview,
            S::Held,
            S::Queued,
            S::NoMatch,
        ];
        let err = release_ready(&states).unwrap_err();
        assert_eq!(
            err,
            LifecycleError::Undecided {
                undecided: 4,
                in_review: 2,
                held: 1,
                queued: 1
            }
        );
        assert!(err.to_string().contains("4 subject(s)"));
        assert_eq!(
            release_ready(&[S::Confirmed, S::NoMatch, S::Refuted, S::Rejected]),
            Ok(())
        );
        assert_eq!(release_ready(&[]), Ok(()));
    }

    #[test]
    fn a_happy_path_goes_from_received_to_closed() {
        let r = RequestState::Received
            .apply(RequestEvent::Gated(Outcome::Held))
            .and_then(|s| s.apply(RequestEvent::OfficerAccepted))
            .and_then(|s| s.apply(RequestEvent::Matched { needs_review: true }))
            .and_then(|s| s.apply(RequestEvent::AllDecided))
            .and_then(|s| s.apply(RequestEvent::Released))
            .and_then(|s| s.apply(RequestEvent::Closed));
        assert_eq!(r, Ok(RequestState::Closed));
    }

    #[test]
    fn a_refuted_subject_cannot_be_released() {
        let s = SubjectState::Received
            .apply(SubjectEvent::Gated(Outcome::Accepted))
            .and_then(|s| {
                s.apply(SubjectEvent::Matched {
                    outcome: MatchOutcome::Match,
                })
            })
            .and_then(|s| s.apply(SubjectEvent::ReviewerRefuted))
            .unwrap();
        assert!(s.apply(SubjectEvent::Released).is_err());
    }

    #[test]
    fn contract_outcomes_convert() {
        assert_eq!(
            MatchOutcome::from(crosscheck_contract::Outcome::NoMatch),
            MatchOutcome::NoMatch
        );
    }
}
