"""Dive detectors on long simulated periods: false alarms without dives, delays with them.

Figures only, never asserted. Surveys come from the real simulator (traffic/simulate) at
realistic rates; each view key's surveys are cut into 10-minute steps of the measure
(after_sales_10 / overall) and fed to every candidate detector, with the baseline (mean, sd,
top-box share, response rate) re-estimated each day from the 7 days before, as stage 2 does:

- ``normal_cusum``  the product's detector (metrics/sequential.py): sigma inflated by the
                    baseline's over-dispersion phi (metrics/baseline.py), h from Siegmund for a
                    365-day in-control run length at the key's rate;
- ``normal_cusum_iid`` the same with phi = 1 (the product before issue 10's calibration);
- ``binomial_cusum`` top-box share, p1 from the same 5-point design shift, h from Wald;
- ``ewma``          per response, lambda 0.2, L from the same run length;
- ``adwin``         river's ADWIN (delta 0.002) on the scores, an alarm when it cuts the window
                    and the mean fell (only with river: ``pip install -e ".[bench]"``; not
                    a product dependency).

Null runs report false alarms per view key per 30 days; dive runs inject a fall of 5, 10 or 15
points (satisfaction_shift -0.5/-1.0/-1.5) into one region each for 24 h from late morning,
in rounds 8 days apart (so a dive's last ~10 hours sit in the next round's 7-day baseline, as
the tail of a real dive would), and report the delay from injection to the first alarm. Run
(about 20 minutes on a shared 2-core machine):

    flock /tmp/cxpulse-heavy.lock timeout 1500 .venv/bin/python -u -m bench.dives
"""

import argparse
import math
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from metrics.baseline import hour_of_day_mean, overdispersion
from metrics.dives import DiveRules
from metrics.sequential import (
    BernoulliCusum,
    Ewma,
    NormalCusum,
    bernoulli_cusum_threshold,
    ewma_arl0_limit,
    normal_cusum_threshold,
    shifted_share,
)
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulate.scenario import Effect, Match, Scenario

START = datetime(2026, 3, 2, tzinfo=UTC)
STEP_S = 600
#: Baselines per hour of the day (as the product), or flat (--flat, to show why).
HOURLY = True
RULES = DiveRules()
DETECTORS = ("normal_cusum", "normal_cusum_iid", "binomial_cusum", "ewma", "adwin")


def surveys(config: SimulatorConfig, scenario: Scenario | None, days: float):
    """Per view key: step index -> list of overall scores (after_sales_10)."""
    steps: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    t0 = START.timestamp()
    for item in generate(config, scenario, START, duration_s=days * 86_400):
        event = item.payload
        if not isinstance(event, dict) or event.get("type") != "survey":
            continue
        if event["questionnaire"] != "after_sales_10":
            continue
        step = int((datetime.fromisoformat(event["occurred_at"]).timestamp() - t0) // STEP_S)
        score = event["scores"]["overall"]
        for key in (f"region|{event['region']}",
                    f"region_stage|{event['region']}|{event['journey_stage']}"):
            steps[key][step].append(score)
    return steps


def _baseline(by_step: dict[int, list[int]], day: int):
    """(mu, sd, top-box share, responses/h, per hour of day: (mu, share), phi) of the 7 days
    before ``day``; hour-of-day values shrunk and phi estimated as metrics/time_dives.py does."""
    per_day = 86_400 // STEP_S
    scores, hourly, hour_sums = [], defaultdict(list), defaultdict(lambda: [0, 0])
    for i in range((day - RULES.baseline_days) * per_day, day * per_day):
        found = by_step.get(i, ())
        scores += found
        hourly[(i % per_day) * STEP_S // 3600] += found
        sums = hour_sums[i * STEP_S // 3600 * 3600]
        sums[0] += len(found)
        sums[1] += sum(found)
    if len(scores) < RULES.min_baseline:
        return None
    mu, sd = statistics.fmean(scores), statistics.stdev(scores)
    top = sum(s >= 9 for s in scores) / len(scores)
    shrink = RULES.shrink_responses if HOURLY else math.inf
    by_hour_of_day = {hour: (len(found), sum(found)) for hour, found in hourly.items()}
    by_hour = {}
    for hour in range(24):
        found = hourly.get(hour, [])
        w = len(found) / (len(found) + RULES.shrink_responses) if HOURLY else 0.0
        hour_top = w * sum(s >= 9 for s in found) / len(found) + (1 - w) * top if found else top
        by_hour[hour] = (hour_of_day_mean(by_hour_of_day, hour, mu, shrink),
                         min(max(hour_top, 0.005), 0.995))
    phi = overdispersion({hour: tuple(sums) for hour, sums in hour_sums.items()}, sd, shrink,
                         RULES.dispersion_min_days, RULES.dispersion_cap)
    return (mu, sd, min(max(top, 0.005), 0.995), len(scores) / (RULES.baseline_days * 24),
            by_hour, phi)


def run_detector(name: str, by_step: dict[int, list[int]], first_day: int, last_step: int):
    """Steps (from first_day) at which the detector entered alarm."""
    per_day = 86_400 // STEP_S
    alarms, detector, was = [], None, False
    adwin_mean = None
    for step in range(first_day * per_day, last_step):
        if step % per_day == 0:
            base = _baseline(by_step, step // per_day)
            if base is None:
                detector = None
                continue
            mu, sd, p0, rate, by_hour, phi = base
            arl = RULES.target_run_days * 24 * rate
            delta = RULES.design_points / 10   # score units on the 10-point scale
            if name in ("normal_cusum", "normal_cusum_iid"):
                sigma = sd * math.sqrt(phi if name == "normal_cusum" else 1.0)
                k = delta / (2 * sigma)
                fresh = NormalCusum(mu, sigma, k, normal_cusum_threshold(k, arl))
                if detector is not None:
                    fresh.s, fresh.alarm = min(detector.s, fresh.h), detector.alarm
            elif name == "binomial_cusum":
                p1 = shifted_share(p0, delta / sd)
                fresh = BernoulliCusum(p0, p1, bernoulli_cusum_threshold(p0, p1, arl))
                if detector is not None:
                    fresh.s, fresh.alarm = min(detector.s, fresh.h), detector.alarm
            elif name == "ewma":
                fresh = Ewma(mu, sd, 0.2, ewma_arl0_limit(0.2, arl))
                if detector is not None:
                    fresh.z, fresh.alarm = detector.z, detector.alarm
            else:
                from river.drift import ADWIN

                fresh = detector or ADWIN(delta=0.002)
            detector = fresh
        if detector is None:
            continue
        hour_mu, hour_p0 = by_hour[(step % per_day) * STEP_S // 3600]
        if name in ("normal_cusum", "normal_cusum_iid", "ewma"):
            detector.mu0 = hour_mu
        elif name == "binomial_cusum":
            detector.p0 = hour_p0
            detector.p1 = shifted_share(hour_p0, delta / sd)
        scores = by_step.get(step, ())
        if name in ("normal_cusum", "normal_cusum_iid"):
            on = detector.update(len(scores), sum(scores))
        elif name == "binomial_cusum":
            on = detector.update(len(scores), sum(s >= 9 for s in scores))
        elif name == "ewma":
            on = was
            for score in scores:
                on = detector.update_one(score)
        else:
            on = False
            for score in scores:
                before = detector.estimation
                detector.update(score)
                if detector.drift_detected and detector.estimation < before:
                    on = True
            adwin_mean = detector.estimation
        if on and not was:
            alarms.append(step)
        was = on if name != "adwin" else False
    del adwin_mean
    return alarms


def available() -> tuple[str, ...]:
    try:
        import river  # noqa: F401
    except ImportError:
        print('river not installed: ADWIN skipped (.venv/bin/pip install -e ".[bench]")')
        return DETECTORS[:-1]
    return DETECTORS


def null_run(config, days, detectors):
    t = time.monotonic()
    steps = surveys(config, None, days)
    print(f"\nno-dive run: {days:g} days, seed {config.seed}, rate {config.rate_per_s}/s "
          f"({time.monotonic() - t:.0f} s to simulate)")
    judged_days = days - RULES.baseline_days
    last = int(days * 86_400 // STEP_S)
    rows = defaultdict(lambda: [0, 0, 0.0])
    for key, by_step in steps.items():
        view = key.split("|")[0]
        rate = sum(map(len, by_step.values())) / (days * 24)
        if rate < 1:
            continue
        for name in detectors:
            alarms = run_detector(name, by_step, RULES.baseline_days, last)
            row = rows[(view, name)]
            row[0] += 1
            row[1] += len(alarms)
            row[2] += rate
    print(f"| view | detector | keys | responses/h per key | false alarms | per key per 30 days |")
    print("|---|---|---|---|---|---|")
    for (view, name), (keys, alarms, rate) in sorted(rows.items()):
        per = alarms / keys / judged_days * 30
        print(f"| {view} | {name} | {keys} | {rate / keys:.1f} | {alarms} | {per:.3f} |")


def dive_run(config, days, sizes, detectors):
    regions = config.regions
    effects, injections = [], []
    # Rounds 8 days apart: each dive's last ~10 h sit in the next round's 7-day baseline.
    for repeat, day in enumerate(range(8, int(days) - 1, 8)):
        for index, points in enumerate(sizes):
            region = regions[(index + repeat) % len(regions)]
            minute = day * 1440 + 600 + 60 * index
            effects.append(Effect(from_minute=minute, until_minute=minute + 1440,
                                  match=Match(region=region), satisfaction_shift=-points / 10))
            injections.append((points, region, minute))
    t = time.monotonic()
    steps = surveys(config, Scenario(effects=effects), days)
    print(f"\ndive run: {days:g} days, seed {config.seed}, {len(injections)} injections "
          f"({time.monotonic() - t:.0f} s to simulate)")
    last = int(days * 86_400 // STEP_S)
    delays = defaultdict(list)
    for points, region, minute in injections:
        for key in (f"region|{region}", f"region_stage|{region}|repair"):
            by_step = steps[key]
            rate = sum(map(len, by_step.values())) / (days * 24)
            start = minute * 60 // STEP_S
            for name in detectors:
                alarms = run_detector(name, by_step, RULES.baseline_days, min(last, start + 144))
                before = [a for a in alarms if start - 144 <= a < start]
                after = [a for a in alarms if a >= start]
                delay = (after[0] - start + 1) * STEP_S / 3600 if after and not before else None
                delays[(key.split("|")[0], points, name)].append((delay, rate))
    print("| view | fall (points) | detector | detected | median delay h | worst h | responses/h |")
    print("|---|---|---|---|---|---|---|")
    for (view, points, name), found in sorted(delays.items()):
        hit = [d for d, _ in found if d is not None]
        rate = statistics.fmean(r for _, r in found)
        median = f"{statistics.median(hit):.1f}" if hit else "-"
        worst = f"{max(hit):.1f}" if hit else "-"
        print(f"| {view} | {points} | {name} | {len(hit)}/{len(found)} | {median} | {worst} | "
              f"{rate:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=60, help="no-dive run length")
    parser.add_argument("--dive-days", type=float, default=33, help="dive run length")
    parser.add_argument("--rate", type=float, default=1.0, help="simulated events/s")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--flat", action="store_true",
                        help="one baseline mean for all hours (what the product did first)")
    parser.add_argument("--null-only", action="store_true", help="skip the dive run")
    args = parser.parse_args()
    global HOURLY
    HOURLY = not args.flat
    print(f"baseline per hour of day: {HOURLY}")
    detectors = available()
    config = SimulatorConfig(seed=args.seed, rate_per_s=args.rate, customers=50_000)
    null_run(config, args.days, detectors)
    if args.null_only:
        return
    dive_run(config.model_copy(update={"seed": args.seed + 1}), args.dive_days, (5, 10, 15),
             detectors)


if __name__ == "__main__":
    main()
