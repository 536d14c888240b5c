//! The autoscaler's decision: Kubernetes HPA target tracking, as a pure function of what it sees.
//!
//! Every `interval` the controller computes a raw recommendation
//!
//! ```text
//! raw = ceil(measured × metric / target)        (unless |metric/target − 1| ≤ tolerance: raw = current)
//! ```
//!
//! where `metric` is the average over the `measured` instances (ready and past their warm-up) and
//! `current` counts every instance that is ready or booting (capacity on its way counts toward the
//! decision, as an ASG's does, but not toward the metric). Recommendations are then stabilised as
//! the HPA controller does: a scale-up goes to the *lowest* recommendation of the scale-up window,
//! a scale-down to the *highest* of the scale-down window, so a brief dip never sheds capacity.
//! Finally the step is limited by `max_step` and the result clamped to `[min, max]`; a direction
//! in cooldown after its last action does not act.

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};
use crate::scenario::{AutoscalerConfig, ScalingBehavior};

/// One direction's behaviour (`scale_up` or `scale_down`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Behavior {
    /// Window over which recommendations are stabilised.
    pub(crate) stabilization: SimDuration,
    /// Minimum time between two actions in this direction.
    pub(crate) cooldown: SimDuration,
    /// Most instances added or removed by one action (≥ 1).
    pub(crate) max_step: u32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Policy {
    pub(crate) target: f64,
    pub(crate) min: u32,
    pub(crate) max: u32,
    pub(crate) tolerance: f64,
    pub(crate) scale_up: Behavior,
    pub(crate) scale_down: Behavior,
}

impl Policy {
    /// The policy of a scenario's `autoscaler`: one constructor, so that the simulator and the
    /// live fleet decide by the same numbers.
    pub(crate) fn of(config: &AutoscalerConfig) -> Self {
        let behavior = |b: &ScalingBehavior| Behavior {
            stabilization: b.stabilization,
            cooldown: b.cooldown,
            max_step: b.max_step,
        };
        Policy {
            target: config.target,
            min: config.min,
            max: config.max,
            tolerance: config.tolerance,
            scale_up: behavior(&config.scale_up),
            scale_down: behavior(&config.scale_down),
        }
    }
}

/// What the controller sees at an evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Observation {
    /// Instances ready or booting: the current capacity for the decision.
    pub(crate) current: u32,
    /// Instances whose metric counts (ready and past their warm-up).
    pub(crate) measured: u32,
    /// The metric averaged over the measured instances; `None` if none is measured.
    pub(crate) metric: Option<f64>,
}

/// The controller's memory: past raw recommendations and last actions.
#[derive(Debug, Default)]
pub(crate) struct Autoscaler {
    history: VecDeque<(SimTime, u32)>,
    last_up: Option<SimTime>,
    last_down: Option<SimTime>,
}

impl Autoscaler {
    /// The desired instance count at `now`; equal to `obs.current` when no action is due.
    pub(crate) fn evaluate(&mut self, policy: &Policy, now: SimTime, obs: Observation) -> u32 {
        let current = obs.current;
        let raw = raw_recommendation(policy, obs);
        self.history.push_back((now, raw));
        // Keep only what the longer window can still use.
        let keep = policy
            .scale_up
            .stabilization
            .max(policy.scale_down.stabilization);
        while self
            .history
            .front()
            .is_some_and(|&(t, _)| now.saturating_since(t) > keep)
        {
            self.history.pop_front();
        }
        let within = |window: SimDuration| {
            self.history
                .iter()
                .filter(move |&&(t, _)| now.saturating_since(t) <= window)
                .map(|&(_, r)| r)
        };
        let up = within(policy.scale_up.stabilization).min().unwrap_or(raw);
        let down = within(policy.scale_down.stabilization).max().unwrap_or(raw);
        let mut desired = current;
        if desired < up {
            desired = up;
        }
        if desired > down {
            desired = down;
        }
        let in_cooldown = |last: Option<SimTime>, b: &Behavior| {
            last.is_some_and(|t| now.saturating_since(t) < b.cooldown)
        };
        let desired = if desired > current {
            if in_cooldown(self.last_up, &policy.scale_up) {
                current
            } else {
                desired.min(current.saturating_add(policy.scale_up.max_step))
            }
        } else if desired < current {
            if in_cooldown(self.last_down, &policy.scale_down) {
                current
            } else {
                desired.max(current.saturating_sub(policy.scale_down.max_step))
            }
        } else {
            current
        };
        let desired = desired.clamp(policy.min, policy.max);
        if desired > current {
            self.last_up = Some(now);
        } else if desired < current {
            self.last_down = Some(now);
        }
        desired
    }
}

/// `ceil(measured × metric / target)`, or `current` inside the tolerance band or without data.
fn raw_recommendation(policy: &Policy, obs: Observation) -> u32 {
    let Some(metric) = obs.metric.filter(|_| obs.measured > 0) else {
        return obs.current;
    };
    let ratio = metric / policy.target;
    if (ratio - 1.0).abs() <= policy.tolerance {
        return obs.current;
    }
    // A tiny epsilon keeps exact products (e.g. 4 × 0.9 / 0.6 = 6.000000000000001) from rounding
    // up to one instance more than the arithmetic says.
    let wanted = (f64::from(obs.measured) * ratio - 1e-9).ceil();
    wanted.clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            target: 0.6,
            min: 2,
            max: 20,
            tolerance: 0.1,
            scale_up: Behavior {
                stabilization: SimDuration::ZERO,
                cooldown: SimDuration::ZERO,
                max_step: 4,
            },
            scale_down: Behavior {
                stabilization: SimDuration::from_secs(300),
                cooldown: SimDuration::ZERO,
                max_step: 1,
            },
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    fn obs(current: u32, metric: f64) -> Observation {
        Observation {
            current,
            measured: current,
            metric: Some(metric),
        }
    }

    #[test]
    fn a_step_in_load_scales_up_by_at_most_max_step_per_interval() {
        let p = policy();
        let mut a = Autoscaler::default();
        // 4 instances at 90 % CPU against a 60 % target: ceil(4 × 0.9 / 0.6) = 6.
        assert_eq!(a.evaluate(&p, at(0), obs(4, 0.9)), 6);
        // Load tripled: 6 × 1.8 / 0.6 = 18 wanted, but one action adds at most 4 → 10.
        assert_eq!(a.evaluate(&p, at(15), obs(6, 1.8)), 10);
        // Still hot: 10 × 1.08 / 0.6 = 18 → 14; then 14 × 0.78 / 0.6 = 18.2 → 19, capped at 18.
        assert_eq!(a.evaluate(&p, at(30), obs(10, 1.08)), 14);
        assert_eq!(a.evaluate(&p, at(45), obs(14, 0.78)), 18);
    }

    #[test]
    fn within_the_tolerance_band_nothing_happens() {
        let p = policy();
        let mut a = Autoscaler::default();
        // 0.65 / 0.6 = 1.083: within 10 %.
        assert_eq!(a.evaluate(&p, at(0), obs(5, 0.65)), 5);
        // 0.53 / 0.6 = 0.883: outside; ceil(5 × 0.883) = 5 anyway.
        assert_eq!(a.evaluate(&p, at(15), obs(5, 0.53)), 5);
    }

    #[test]
    fn scale_down_waits_for_the_highest_recommendation_of_its_window() {
        let p = policy();
        let mut a = Autoscaler::default();
        // At t=0 the fleet of 10 is right-sized (recommendation 10).
        assert_eq!(a.evaluate(&p, at(0), obs(10, 0.6)), 10);
        // Load halves at t=15: raw = ceil(10 × 0.3 / 0.6) = 5, but the window (5 min) still holds
        // the 10 from t=0, so the fleet stays at 10…
        assert_eq!(a.evaluate(&p, at(15), obs(10, 0.3)), 10);
        assert_eq!(a.evaluate(&p, at(300), obs(10, 0.3)), 10);
        // …until t=0 leaves the window (at t=301 only raws of 5 remain): one step down (max_step 1).
        assert_eq!(a.evaluate(&p, at(301), obs(10, 0.3)), 9);
        assert_eq!(a.evaluate(&p, at(316), obs(9, 0.333)), 8);
    }

    #[test]
    fn without_a_stabilization_window_a_noisy_metric_flaps() {
        let mut p = policy();
        p.scale_down.stabilization = SimDuration::ZERO;
        p.scale_down.max_step = 10;
        let mut a = Autoscaler::default();
        // Alternating 0.9 and 0.3 around a 0.6 target: 4 → 6 → 3 → 5 …
        assert_eq!(a.evaluate(&p, at(0), obs(4, 0.9)), 6);
        assert_eq!(a.evaluate(&p, at(15), obs(6, 0.3)), 3);
        assert_eq!(a.evaluate(&p, at(30), obs(3, 0.9)), 5);
        // With the 5-minute window the same sequence never scales down.
        let p = policy();
        let mut a = Autoscaler::default();
        assert_eq!(a.evaluate(&p, at(0), obs(4, 0.9)), 6);
        assert_eq!(a.evaluate(&p, at(15), obs(6, 0.3)), 6);
        assert_eq!(a.evaluate(&p, at(30), obs(6, 0.9)), 9);
    }

    #[test]
    fn booting_capacity_counts_toward_the_decision_but_not_the_metric() {
        let p = policy();
        let mut a = Autoscaler::default();
        // 4 ready at 90 % and 2 booting: wanted ceil(4 × 1.5) = 6 = current, so no action.
        let o = Observation {
            current: 6,
            measured: 4,
            metric: Some(0.9),
        };
        assert_eq!(a.evaluate(&p, at(0), o), 6);
    }

    #[test]
    fn cooldown_blocks_a_second_action_in_the_same_direction() {
        let mut p = policy();
        p.scale_up.cooldown = SimDuration::from_secs(60);
        let mut a = Autoscaler::default();
        assert_eq!(a.evaluate(&p, at(0), obs(4, 0.9)), 6);
        assert_eq!(a.evaluate(&p, at(15), obs(6, 0.9)), 6, "in cooldown");
        assert_eq!(a.evaluate(&p, at(60), obs(6, 0.9)), 9);
    }

    #[test]
    fn bounds_clamp_the_result_and_no_data_means_no_change() {
        let p = policy();
        let mut a = Autoscaler::default();
        assert_eq!(a.evaluate(&p, at(0), obs(3, 0.01)), 2, "never below min");
        let mut a = Autoscaler::default();
        assert_eq!(a.evaluate(&p, at(0), obs(19, 6.0)), 20, "never above max");
        let none = Observation {
            current: 5,
            measured: 0,
            metric: None,
        };
        assert_eq!(Autoscaler::default().evaluate(&p, at(0), none), 5);
    }
}
