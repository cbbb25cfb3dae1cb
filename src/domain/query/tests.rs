use super::*;
use chrono::NaiveDate;

fn word(text: &str) -> Query {
    Query::Term(Term::Text(text.into()))
}

fn term(term: Term) -> Query {
    Query::Term(term)
}

fn err(input: &str) -> QueryError {
    match parse(input) {
        Err(e) => e,
        Ok(q) => panic!("{input:?} parsed as {q:?}"),
    }
}

/// The text the error points at.
fn pointed<'a>(input: &'a str, e: &QueryError) -> &'a str {
    &input[e.span.clone()]
}

#[test]
fn free_words_are_anded() {
    assert_eq!(
        parse("engine notes").unwrap(),
        Query::And(vec![word("engine"), word("notes")])
    );
    assert_eq!(parse("").unwrap(), Query::all());
    assert_eq!(parse("   ").unwrap(), Query::all());
    assert_eq!(parse("Grüße").unwrap(), word("Grüße"));
    assert_eq!(parse("re-engine").unwrap(), word("re-engine"));
}

#[test]
fn each_field() {
    let cases = [
        ("from:ada", Term::Field(Field::From, "ada".into())),
        ("to:grace", Term::Field(Field::To, "grace".into())),
        ("cc:linus", Term::Field(Field::Cc, "linus".into())),
        ("subject:patch", Term::Field(Field::Subject, "patch".into())),
        ("body:invoice", Term::Field(Field::Body, "invoice".into())),
        ("folder:Lists/dev", Term::Folder("Lists/dev".into())),
        ("account:work", Term::Account("work".into())),
        ("keyword:$label1", Term::Keyword("$label1".into())),
        ("has:attachment", Term::HasAttachment),
        ("larger:10k", Term::Larger(10 * 1024)),
        ("smaller:5M", Term::Smaller(5 * 1024 * 1024)),
        ("larger:1GB", Term::Larger(1 << 30)),
        ("smaller:500", Term::Smaller(500)),
        ("is:unread", Term::Is(Status::Unread)),
        ("is:read", Term::Is(Status::Read)),
        ("is:flagged", Term::Is(Status::Flagged)),
        ("is:answered", Term::Is(Status::Answered)),
        ("is:deleted", Term::Is(Status::Deleted)),
        ("FROM:Ada", Term::Field(Field::From, "Ada".into())),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input).unwrap(), term(expected), "{input}");
    }
}

#[test]
fn dates_absolute_and_relative() {
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    assert_eq!(
        parse("before:2026-11-02").unwrap(),
        term(Term::Before(DateSpec::Day(day)))
    );
    assert_eq!(
        parse("after:7d").unwrap(),
        term(Term::After(DateSpec::DaysAgo(7)))
    );
    assert_eq!(
        parse("on:2026-11-02").unwrap(),
        term(Term::On(DateSpec::Day(day)))
    );
    let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    let resolved = |s| match parse(s).unwrap() {
        Query::Term(Term::After(spec)) => spec.resolve(today).unwrap(),
        q => panic!("{q:?}"),
    };
    assert_eq!(
        resolved("after:7d"),
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    );
    assert_eq!(
        resolved("after:2w"),
        NaiveDate::from_ymd_opt(2026, 11, 18).unwrap()
    );
    assert_eq!(
        resolved("after:1m"),
        NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()
    );
    assert_eq!(
        resolved("after:1y"),
        NaiveDate::from_ymd_opt(2025, 12, 2).unwrap()
    );
    assert_eq!(DateSpec::YearsAgo(u32::MAX).resolve(today), None);
}

#[test]
fn quoting_keeps_phrases_and_escapes() {
    assert_eq!(parse("\"engine notes\"").unwrap(), word("engine notes"));
    assert_eq!(
        parse("from:\"Ada Lovelace\" patch").unwrap(),
        Query::And(vec![
            term(Term::Field(Field::From, "Ada Lovelace".into())),
            word("patch")
        ])
    );
    assert_eq!(
        parse(r#""say \"hi\" \\ now""#).unwrap(),
        word(r#"say "hi" \ now"#)
    );
    // Quoting makes keywords and colons plain text.
    assert_eq!(parse("\"or\"").unwrap(), word("or"));
    assert_eq!(parse("\"http://x.org\"").unwrap(), word("http://x.org"));
}

#[test]
fn not_or_and_parentheses() {
    assert_eq!(
        parse("-is:read").unwrap(),
        Query::Not(Box::new(term(Term::Is(Status::Read))))
    );
    assert_eq!(
        parse("a b or c").unwrap(),
        Query::Or(vec![Query::And(vec![word("a"), word("b")]), word("c")])
    );
    assert_eq!(
        parse("a (b OR c) -(d e)").unwrap(),
        Query::And(vec![
            word("a"),
            Query::Or(vec![word("b"), word("c")]),
            Query::Not(Box::new(Query::And(vec![word("d"), word("e")]))),
        ])
    );
    assert_eq!(
        parse("--a").unwrap(),
        Query::Not(Box::new(Query::Not(Box::new(word("a")))))
    );
}

#[test]
fn errors_point_at_the_wrong_word() {
    let cases = [
        ("patch frm:ada", "frm:", "unknown field"),
        ("is:sent", "sent", "not a state"),
        ("before:yesterday", "yesterday", "not a date"),
        ("before:2026-13-01", "2026-13-01", "not a date"),
        ("larger:huge", "huge", "not a size"),
        (
            "larger:99999999999999999999k",
            "99999999999999999999k",
            "not a size",
        ),
        ("has:pictures", "pictures", "only has:attachment"),
        ("from:", "from:", "needs a value"),
        ("a or", "or", "each side"),
        ("or a", "or", "each side"),
        ("a or or b", "or", "each side"),
        ("(a b", "(", "never closed"),
        ("a b)", ")", "closes nothing"),
        ("()", "()", "nothing inside"),
        ("a - b", "-", "nothing after"),
        ("subject:\"open", "\"open", "never closed"),
    ];
    for (input, at, message) in cases {
        let e = err(input);
        assert_eq!(pointed(input, &e), at, "{input}: {e:?}");
        assert!(e.message.contains(message), "{input}: {}", e.message);
    }
}

#[test]
fn the_caret_sits_under_the_word_in_characters() {
    let input = "Grüße frm:x";
    let e = err(input);
    assert_eq!(
        e.pointed(input),
        "Grüße frm:x\n      ^^^^\n".to_string() + &e.message
    );
}

#[test]
fn hostile_input_never_overflows() {
    let deep = "(".repeat(10_000) + "a" + &")".repeat(10_000);
    assert!(err(&deep).message.contains("nested too deeply"));
    let negations = "-".repeat(10_000) + "a";
    assert!(err(&negations).message.contains("nested too deeply"));
    assert!(parse(&"a ".repeat(50_000)).is_ok());
    for input in [
        "\"",
        "\\",
        "-\"",
        ":",
        "a:\"",
        "((",
        "))",
        "-)",
        "\u{1b}[31m",
    ] {
        let _ = parse(input);
    }
}

#[test]
fn terms_lists_every_condition() {
    let q = parse("a (folder:x or -is:read)").unwrap();
    assert_eq!(
        q.terms(),
        vec![
            &Term::Text("a".into()),
            &Term::Folder("x".into()),
            &Term::Is(Status::Read)
        ]
    );
}
