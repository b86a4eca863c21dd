//! The states a case goes through (DESIGN §1) and which moves are allowed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a case stands. The order follows the centre's eight steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Step 1: the customer is registered, no prints yet.
    Registered,
    /// Step 1: ten prints and personal data captured; the scanner may still fix them.
    Captured,
    /// Step 2: locked by the admin; nothing in the capture changes any more.
    Sealed,
    /// Step 3: the work package went to the analysis centre.
    Dispatched,
    /// Step 4: the analysis centre's signed result was imported.
    Analysed,
    /// Step 5: the admin reviewed the results.
    Reviewed,
    /// Step 6: an appointment is booked.
    Scheduled,
    /// Step 7: the counsellor may study the report (appointment − 3 days).
    ReleasedToCounsellor,
    /// Step 8: the report was handed to the customer.
    Delivered,
    /// Kept only for the retention period.
    Archived,
    /// Crypto-shredded: the customer's data key is destroyed.
    Erased,
}

/// A move between states that the process does not allow.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a case that is {from} cannot become {to}{}", hint(*from))]
pub struct TransitionError {
    /// The state the case is in.
    pub from: CaseState,
    /// The state that was asked for.
    pub to: CaseState,
}

fn hint(from: CaseState) -> String {
    match from.next_states() {
        [] => String::new(),
        next => {
            let names: Vec<String> = next.iter().map(|s| s.to_string()).collect();
            format!(" (from {from} it can become: {})", names.join(", "))
        }
    }
}

impl CaseState {
    /// Every state, in process order.
    pub const ALL: [CaseState; 11] = [
        CaseState::Registered,
        CaseState::Captured,
        CaseState::Sealed,
        CaseState::Dispatched,
        CaseState::Analysed,
        CaseState::Reviewed,
        CaseState::Scheduled,
        CaseState::ReleasedToCounsellor,
        CaseState::Delivered,
        CaseState::Archived,
        CaseState::Erased,
    ];

    /// The states this one may move to, besides `Erased` (always allowed
    /// except from `Erased` itself).
    pub fn next_states(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Registered => &[Captured],
            Captured => &[Captured, Sealed],
            Sealed => &[Dispatched],
            // An analysis centre may ask for fingers to be rescanned; a
            // package that expired unanswered is replaced by a new one.
            Dispatched => &[Analysed, Captured, Dispatched],
            Analysed => &[Reviewed],
            Reviewed => &[Scheduled],
            // An appointment may be moved: re-scheduling stays `Scheduled`.
            Scheduled => &[Scheduled, ReleasedToCounsellor],
            ReleasedToCounsellor => &[Scheduled, Delivered],
            Delivered => &[Archived],
            Archived => &[],
            Erased => &[],
        }
    }

    /// Whether the process allows moving from `self` to `to`.
    pub fn can_become(self, to: CaseState) -> bool {
        (to == CaseState::Erased && self != CaseState::Erased) || self.next_states().contains(&to)
    }

    /// `Ok(to)` when allowed, else an error naming both states.
    pub fn become_(self, to: CaseState) -> Result<CaseState, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }

    /// The stable name used in storage and JSON, e.g. `released_to_counsellor`.
    pub fn as_str(self) -> &'static str {
        use CaseState::*;
        match self {
            Registered => "registered",
            Captured => "captured",
            Sealed => "sealed",
            Dispatched => "dispatched",
            Analysed => "analysed",
            Reviewed => "reviewed",
            Scheduled => "scheduled",
            ReleasedToCounsellor => "released_to_counsellor",
            Delivered => "delivered",
            Archived => "archived",
            Erased => "erased",
        }
    }

    /// The Vietnamese label shown to staff.
    pub fn label_vi(self) -> &'static str {
        use CaseState::*;
        match self {
            Registered => "đã đăng ký",
            Captured => "đã lấy vân tay",
            Sealed => "đã niêm phong",
            Dispatched => "đã gửi phân tích",
            Analysed => "đã có kết quả",
            Reviewed => "đã duyệt",
            Scheduled => "đã hẹn lịch",
            ReleasedToCounsellor => "đã giao tư vấn viên",
            Delivered => "đã trao báo cáo",
            Archived => "đã lưu trữ",
            Erased => "đã xoá",
        }
    }

    /// Whether the capture (personal data, prints) may still be changed.
    pub fn capture_is_open(self) -> bool {
        matches!(self, CaseState::Registered | CaseState::Captured)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a case state.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a case state")]
pub struct ParseStateError(String);

impl FromStr for CaseState {
    type Err = ParseStateError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| ParseStateError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::CaseState::*;
    use super::*;

    #[test]
    fn the_happy_path_is_allowed_in_order() {
        let path = [
            Registered,
            Captured,
            Sealed,
            Dispatched,
            Analysed,
            Reviewed,
            Scheduled,
            ReleasedToCounsellor,
            Delivered,
            Archived,
        ];
        for pair in path.windows(2) {
            assert_eq!(pair[0].become_(pair[1]), Ok(pair[1]));
        }
    }

    #[test]
    fn skipping_a_step_is_refused_with_the_allowed_moves() {
        let err = Captured.become_(Dispatched).unwrap_err();
        assert_eq!(err.to_string(), "a case that is captured cannot become dispatched (from captured it can become: captured, sealed)");
        assert!(!Sealed.can_become(Captured));
        assert!(!Delivered.can_become(Scheduled));
    }

    #[test]
    fn any_state_but_erased_may_be_erased() {
        for state in CaseState::ALL {
            assert_eq!(state.can_become(Erased), state != Erased, "{state}");
        }
    }

    #[test]
    fn names_round_trip() {
        for state in CaseState::ALL {
            assert_eq!(state.as_str().parse::<CaseState>().unwrap(), state);
        }
    }
}
