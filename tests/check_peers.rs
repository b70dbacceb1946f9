//! `dimse check` grading implementations nobody here wrote, as `scripts/test` runs it (the
//! short form: the catalogue without its slow and truncation families): pynetdicom 3.0.4's
//! SCP (`tests/interop/scp.py --catalogue`, set up with the catalogue's timers) and DCMTK's
//! `storescp` (`--echo-only`). Each must come out with exactly the findings listed here,
//! which docs/check.md explains; a peer or a grading that changes shows as a difference.
//! (`dimse serve` is graded in tests/cli.rs.)

#[path = "interop/peers.rs"]
mod peers;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

const DIMSE: &str = env!("CARGO_BIN_EXE_dimse");

/// The catalogue groups of the short form.
const CASES: &str = "pdu,assoc,pdata,seq,abort,close,artim";

/// The cases where pynetdicom's SCP does not do what the standard prescribes.
const PYNETDICOM_FINDINGS: &[&str] = &[
    "abort/in-sta13-after-our-abort",
    "abort/in-sta13-after-reject",
    "abort/in-sta13-after-release",
    "artim/after-our-abort",
    "artim/after-reject",
    "artim/after-release",
    "assoc/128-presentation-contexts",
    "assoc/129-presentation-contexts",
    "assoc/abstract-syntax-uid-65-bytes",
    "assoc/abstract-syntax-uid-with-letter",
    "assoc/abstract-syntax-uid-with-space",
    "assoc/application-context-65-bytes",
    "assoc/called-ae-all-spaces",
    "assoc/called-ae-control-characters",
    "assoc/calling-ae-all-spaces",
    "assoc/calling-ae-non-ascii",
    "assoc/context-without-abstract-syntax",
    "assoc/duplicate-context-id",
    "assoc/empty-transfer-syntax-list",
    "assoc/even-context-id",
    "assoc/max-length-0-means-no-limit",
    "assoc/max-length-11",
    "assoc/max-length-4",
    "assoc/max-length-8",
    "assoc/no-application-context",
    "assoc/no-max-length-sub-item",
    "assoc/no-presentation-context",
    "assoc/presentation-context-item-length-2",
    "assoc/protocol-version-0",
    "assoc/protocol-version-ffff-has-bit-0",
    "assoc/transfer-syntax-uid-65-bytes",
    "assoc/transfer-syntax-uid-with-space",
    "assoc/two-application-contexts",
    "assoc/uids-with-trailing-nul",
    "assoc/unknown-items-ignored",
    "assoc/user-identity-primary-length-overruns",
    "assoc/user-identity-secondary-length-short",
    "assoc/wrong-application-context",
    "close/in-sta13-after-reject",
    "close/in-sta13-after-release",
    "pdata/c-store-rq-gets-0211",
    "pdata/command-fragment-after-data-fragment",
    "pdata/command-set-of-garbage",
    "pdata/command-without-command-field",
    "pdata/command-without-message-id",
    "pdata/empty-and-consecutive-pdvs",
    "pdata/n-get-attribute-list-of-6-bytes",
    "pdata/n-get-attribute-list-of-odd-length",
    "pdata/new-message-on-other-context-before-last-fragment",
    "pdata/new-message-on-same-context-before-last-fragment",
    "pdata/odd-length-fragments",
    "pdata/rejected-context-3",
    "pdata/response-nobody-asked-for",
    "pdata/unknown-command-field-0777",
    "pdata/unnegotiated-context-5",
    "pdu/abort-length-6",
    "pdu/associate-rq-length-below-fixed-part",
    "pdu/associate-rq-length-over-limit",
    "pdu/http-request-before-association",
    "pdu/pdata-length-0",
    "pdu/pdata-length-over-max-length",
    "pdu/release-rq-length-0",
    "pdu/reserved-fields-not-tested",
    "pdu/reserved-type-00-in-sta6",
    "pdu/unknown-type-08-before-association",
    "pdu/unknown-type-08-in-sta6",
    "seq/associate-rq-after-reject",
    "seq/associate-rq-after-release",
    "seq/associate-rq-and-garbage-in-one-write",
    "seq/garbage-after-release",
    "seq/pdata-after-release",
    "seq/pdata-before-association",
    "seq/release-rq-twice",
    "seq/release-with-request-outstanding",
];

/// The cases where storescp does not do what the standard prescribes (C-ECHO only).
const STORESCP_FINDINGS: &[&str] = &[
    "abort/in-sta13-after-our-abort",
    "assoc/129-presentation-contexts",
    "assoc/abstract-syntax-overruns-context",
    "assoc/abstract-syntax-uid-65-bytes",
    "assoc/application-context-65-bytes",
    "assoc/called-ae-all-spaces",
    "assoc/called-ae-control-characters",
    "assoc/calling-ae-all-spaces",
    "assoc/calling-ae-non-ascii",
    "assoc/duplicate-context-id",
    "assoc/empty-transfer-syntax-list",
    "assoc/even-context-id",
    "assoc/max-length-4",
    "assoc/max-length-item-length-6",
    "assoc/no-max-length-sub-item",
    "assoc/no-presentation-context",
    "assoc/presentation-context-item-length-2",
    "assoc/presentation-context-overruns-pdu",
    "assoc/transfer-syntax-uid-65-bytes",
    "assoc/two-application-contexts",
    "assoc/user-identity-item-length-1",
    "assoc/user-identity-primary-length-overruns",
    "assoc/user-identity-secondary-length-short",
    "assoc/user-info-sub-item-overruns-item",
    "close/in-sta13-after-reject",
    "pdata/rejected-context-3",
    "pdata/unnegotiated-context-5",
    "pdu/abort-length-6",
    "pdu/associate-rq-length-0",
    "pdu/associate-rq-length-below-fixed-part",
    "pdu/associate-rq-length-over-limit",
    "pdu/associate-rq-length-shorter-than-items",
    "pdu/http-request-before-association",
    "pdu/pdata-length-0",
    "pdu/pdata-length-over-max-length",
    "pdu/release-rq-length-0",
    "pdu/reserved-fields-not-tested",
    "pdu/reserved-type-00-in-sta6",
    "pdu/reserved-type-ff-in-sta6",
    "pdu/tls-client-hello-to-plain-port",
    "pdu/unknown-type-08-in-sta6",
    "seq/associate-rq-after-reject",
    "seq/associate-rq-after-release",
    "seq/associate-rq-and-garbage-in-one-write",
    "seq/garbage-after-release",
];

/// Runs `dimse check` with `args` and returns its JSON report and exit code.
fn check(args: &[&str]) -> (Value, Option<i32>) {
    let out = Command::new(DIMSE)
        .arg("check")
        .args(args)
        .arg("--json")
        .output()
        .expect("run dimse");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dimse check gave no JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code())
}

/// The report's rows with this outcome, as case names (`catalogue ` dropped).
fn rows(report: &Value, outcome: &str) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| {
            let check = r["check"].as_str().unwrap_or_default();
            check
                .strip_prefix("catalogue ")
                .unwrap_or(check)
                .to_string()
        })
        .collect()
}

/// Asserts that the failed rows are exactly `findings` (and nothing outside the catalogue).
fn assert_findings(peer: &str, report: &Value, code: Option<i32>, findings: &[&str]) {
    let failed = rows(report, "fail");
    let expected: BTreeSet<String> = findings.iter().map(|s| s.to_string()).collect();
    let details = |names: &BTreeSet<String>| {
        report["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                let c = r["check"].as_str().unwrap_or_default();
                names.contains(c.strip_prefix("catalogue ").unwrap_or(c))
            })
            .map(|r| format!("  {}: {}", r["check"], r["detail"]))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let new: BTreeSet<String> = failed.difference(&expected).cloned().collect();
    let gone: BTreeSet<String> = expected.difference(&failed).cloned().collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "{peer}: findings changed\nnew:\n{}\nno longer found: {gone:?}",
        details(&new)
    );
    assert_eq!(report["failed"], findings.len(), "{peer}");
    assert_eq!(
        code,
        Some(if findings.is_empty() { 0 } else { 1 }),
        "{peer}"
    );
    // Everything outside the catalogue passed: the peer served throughout.
    for r in report["checks"].as_array().expect("checks") {
        let name = r["check"].as_str().unwrap_or_default();
        if !name.starts_with("catalogue ") {
            assert_eq!(r["outcome"], "pass", "{peer}: {name}: {}", r["detail"]);
        }
    }
}

#[test]
fn check_grades_pynetdicom() {
    let scp = peers::start_pynetdicom_scp_with(&["--catalogue"]);
    let addr = scp.addr().to_string();
    let (report, code) = check(&[
        &addr,
        "--catalogue-setup",
        "--cases",
        CASES,
        "--jobs",
        "2",
        "--sessions",
        "8",
        "--seed",
        "1",
        "--idle",
        "0.2",
    ]);
    assert_findings("pynetdicom", &report, code, PYNETDICOM_FINDINGS);
    assert_eq!(
        report["not_graded"], 0,
        "every case graded with --catalogue-setup"
    );
}

#[test]
fn check_grades_storescp() {
    let scp = peers::start_storescp();
    let addr = scp.addr().to_string();
    // storescp serves one association at a time: one case at a time keeps a case's
    // connection from waiting behind another's (which it sometimes closes unanswered).
    // storescp 3.6.7 dies of a segmentation fault on pdata/empty-and-consecutive-pdvs
    // (docs/check.md): left out here, shown by the test below.
    let cases = format!("{CASES},-pdata/empty-and-consecutive-pdvs");
    let (report, code) = check(&[
        &addr,
        "--echo-only",
        "--cases",
        &cases,
        "--jobs",
        "1",
        "--sessions",
        "8",
        "--seed",
        "1",
        "--idle",
        "0.2",
    ]);
    assert_findings("storescp", &report, code, STORESCP_FINDINGS);
    // Played, but not graded: the cases that need N-GET.
    assert!(
        rows(&report, "not-applicable").contains("pdata/odd-length-fragments"),
        "{report}"
    );
}

#[test]
fn check_reports_an_scp_that_dies() {
    let mut scp = peers::start_storescp();
    let addr = scp.addr().to_string();
    let (report, code) = check(&[
        &addr,
        "--echo-only",
        "--cases",
        "pdata/empty-and-consecutive-pdvs",
        "--sessions",
        "1",
        "--seed",
        "1",
        "--idle",
        "0",
        "--timeout",
        "2",
    ]);
    assert_eq!(code, Some(1), "{report}");
    let case = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|r| r["check"] == "catalogue pdata/empty-and-consecutive-pdvs")
        .expect("the case's row")
        .clone();
    assert_eq!(case["outcome"], "fail", "{case}");
    assert!(
        case["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("after this case the SCP no longer serves"),
        "{case}"
    );
    assert!(scp.exited(), "storescp still runs: {case}");
}
