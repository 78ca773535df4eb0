"""The attendee CSV import's pure half: reading the file, guessing columns, checking rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from conference.people.handles import PLATFORM_LABELS
from conference.people.importing import (
    IGNORE,
    ImportFileError,
    RowResult,
    Table,
    guess_mapping,
    mapping_problems,
    read_table,
    validate_rows,
)

# The exporters' samples live beside this file once committed; while the feature is being
# written they are in the team's shared folder. Missing samples fail the tests, never skip them.
_SAMPLE_DIRS = (Path(__file__).parent / "samples", Path("/work/shared/samples"))


def sample(name: str) -> bytes:
    """The bytes of one exporter's sample file."""
    for directory in _SAMPLE_DIRS:
        if (directory / name).is_file():
            return (directory / name).read_bytes()
    pytest.fail(f"sample {name} not found in {[str(d) for d in _SAMPLE_DIRS]}")


def by_header(table: Table, mapping: dict[int, str]) -> dict[str, str]:
    return {table.headers[i]: field for i, field in mapping.items()}


def rejected(results: list[RowResult]) -> list[tuple[int, list[str]]]:
    return [(r.line, r.problems) for r in results if not r.ok]


def check(text: str) -> list[RowResult]:
    """Read, guess and validate a small CSV written inline."""
    table = read_table(text.encode())
    return validate_rows(table, guess_mapping(table))


# --- the exporters' samples ----------------------------------------------------------------

SAMPLES = {
    "attendees_pretix.csv": {
        "rows": 25,
        "columns": 36,
        "preamble": 0,
        "mapping": {
            "Order code": IGNORE,
            "Attendee name": "name",
            # The full name wins over its parts (see guess_mapping).
            "Attendee name: Given name": IGNORE,
            "Attendee name: Family name": IGNORE,
            "Secret": IGNORE,
            "Email": "email",
            "X / Twitter handle": "handle:x",
            "Mastodon address": "handle:mastodon",
            "LinkedIn profile": "handle:linkedin",
            "GitHub username": "handle:github",
            "Company": "company",
        },
    },
    "attendees_eventbrite.csv": {
        "rows": 25,
        "columns": 22,
        "preamble": 0,
        "mapping": {
            "Order #": IGNORE,
            "First Name": "first_name",
            "Last Name": "last_name",
            "Email": "email",
            "Attendee #": IGNORE,
            "Barcode #": IGNORE,
            "Twitter / X handle": "handle:x",
            "Mastodon handle": "handle:mastodon",
            "Job Title": "job_title",
            "Company": "company",
        },
    },
    "attendees_simple.csv": {
        "rows": 30,
        "columns": 8,
        "preamble": 0,
        "mapping": {
            "name": "name",
            "email": "email",
            "company": "company",
            "twitter": "handle:x",
            "linkedin": "handle:linkedin",
            "mastodon": "handle:mastodon",
            "bluesky": "handle:bluesky",
            "github": "handle:github",
        },
    },
    "linkedin_Connections.csv": {
        "rows": 20,
        "columns": 7,
        "preamble": 3,
        "mapping": {
            "First Name": "first_name",
            "Last Name": "last_name",
            # No platform in the title: recognised by its cells, all linkedin.com/in/ URLs.
            "URL": "handle:linkedin",
            "Email Address": "email",
            "Company": "company",
            "Position": "job_title",
            "Connected On": IGNORE,
        },
    },
}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_is_read_with_its_header(name: str) -> None:
    expected = SAMPLES[name]
    table = read_table(sample(name))

    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert table.skipped_preamble == expected["preamble"]
    assert len(table.headers) == expected["columns"]
    assert len(table.rows) == expected["rows"]
    assert all(len(row) == len(table.headers) for row in table.rows)
    first_line = expected["preamble"] + 2
    assert table.lines == list(range(first_line, first_line + expected["rows"]))


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_columns_are_guessed(name: str) -> None:
    table = read_table(sample(name))
    mapping = by_header(table, guess_mapping(table))
    important = SAMPLES[name]["mapping"]
    assert isinstance(important, dict)

    assert {h: mapping[h] for h in important} == important
    # Nothing else is imported: no ticket data, no phone numbers, no dates taken for handles.
    assert {h: f for h, f in mapping.items() if h not in important and f != IGNORE} == {}


def test_pretix_rows_all_import() -> None:
    """Every ticket in the pretix sample is a complete attendee; none is rejected."""
    table = read_table(sample("attendees_pretix.csv"))
    results = validate_rows(table, guess_mapping(table))

    assert rejected(results) == []
    assert len(results) == 25
    first = results[0].row
    assert first is not None
    assert (first.name, first.email, first.company, first.line) == (
        "Amara Okafor",
        "amara.okafor@example.com",
        "Kestrel Payments",
        2,
    )
    assert [h.platform for h in first.handles] == ["x", "mastodon", "linkedin", "github"]
    assert results[0].raw["Order code"] == "KQN8U"
    # Katarina answered no handle question and left the company empty.
    katarina = results[10].row
    assert katarina is not None
    assert (katarina.name, katarina.company, katarina.handles) == ("Katarina Novak", "", [])


def test_eventbrite_rows_all_import_with_first_and_last_name_joined() -> None:
    """Every ticket in the Eventbrite sample is a complete attendee; none is rejected."""
    table = read_table(sample("attendees_eventbrite.csv"))
    results = validate_rows(table, guess_mapping(table))

    assert rejected(results) == []
    assert len(results) == 25
    kevin = results[9].row
    assert kevin is not None
    assert (kevin.name, kevin.job_title, kevin.company, kevin.line) == (
        "Kevin O'Brien",
        "CTO",
        "O'Brien & Sons, LLC",
        11,
    )
    zachary = results[0].row
    assert zachary is not None
    assert [h.platform for h in zachary.handles] == ["x", "mastodon"]


def test_simple_sheet_rows_all_import_with_every_handle_spelling() -> None:
    """The hand-made sheet writes handles every way people do; all 30 rows are valid."""
    table = read_table(sample("attendees_simple.csv"))
    results = validate_rows(table, guess_mapping(table))

    assert rejected(results) == []
    assert len(results) == 30
    ana = results[0].row
    assert ana is not None
    assert ana.name == "Ana Garc\u00eda Ruiz"
    assert [h.platform for h in ana.handles] == [
        "x",
        "linkedin",
        "mastodon",
        "bluesky",
        "github",
    ]
    liam = results[3].row
    assert liam is not None
    assert liam.company == "Brightfield, Inc."


def test_linkedin_connections_lack_most_emails() -> None:
    """LinkedIn only exports the e-mails people chose to share: 2 of 20 here."""
    table = read_table(sample("linkedin_Connections.csv"))
    results = validate_rows(table, guess_mapping(table))

    assert [r.row.name for r in results if r.row] == ["Grace Kim", "Patrick Doyle"]
    assert [r.line for r in results if r.ok] == [7, 19]
    assert len(rejected(results)) == 18
    assert all(r.problems == ["E-mail is missing"] for r in results if not r.ok)


# --- the same sample written other ways ----------------------------------------------------


def rewrite(data: bytes, *, delimiter: str, terminator: str = "\r\n") -> bytes:
    """The file as another exporter option writes it: new delimiter, quotes only where needed."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=terminator).writerows(rows)
    return out.getvalue().encode("utf-8")


Variant = Callable[[bytes], bytes]
VARIANTS: list[tuple[str, str, Variant, str, str]] = [
    ("utf-8 BOM", "attendees_simple.csv", lambda b: b"\xef\xbb\xbf" + b, "utf-8-sig", ","),
    (
        "utf-16 LE BOM",
        "attendees_simple.csv",
        lambda b: b"\xff\xfe" + b.decode().encode("utf-16-le"),
        "utf-16-le",
        ",",
    ),
    (
        "utf-16 BE BOM",
        "attendees_pretix.csv",
        lambda b: b"\xfe\xff" + b.decode().encode("utf-16-be"),
        "utf-16-be",
        ",",
    ),
    ("cp1252", "attendees_simple.csv", lambda b: b.decode().encode("cp1252"), "cp1252", ","),
    ("semicolons", "attendees_pretix.csv", lambda b: rewrite(b, delimiter=";"), "utf-8", ";"),
    ("tabs", "attendees_eventbrite.csv", lambda b: rewrite(b, delimiter="\t"), "utf-8", "\t"),
    ("pipes", "attendees_simple.csv", lambda b: rewrite(b, delimiter="|"), "utf-8", "|"),
    ("LF to CRLF", "attendees_simple.csv", lambda b: b.replace(b"\n", b"\r\n"), "utf-8", ","),
    ("CRLF to LF", "attendees_pretix.csv", lambda b: b.replace(b"\r\n", b"\n"), "utf-8", ","),
    (
        "LinkedIn as CRLF",
        "linkedin_Connections.csv",
        lambda b: b.replace(b"\n", b"\r\n"),
        "utf-8",
        ",",
    ),
]


@pytest.mark.parametrize(
    ("variant", "name", "transform", "encoding", "delimiter"),
    VARIANTS,
    ids=[v[0] for v in VARIANTS],
)
def test_variant_reads_like_the_original(
    variant: str, name: str, transform: Variant, encoding: str, delimiter: str
) -> None:
    original = read_table(sample(name))
    table = read_table(transform(sample(name)))

    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.headers == original.headers
    assert table.rows == original.rows
    assert table.lines == original.lines
    assert guess_mapping(table) == guess_mapping(original)


def test_cp1252_keeps_accented_names() -> None:
    table = read_table(sample("attendees_simple.csv").decode().encode("cp1252"))
    names = [r.row.name for r in validate_rows(table, guess_mapping(table)) if r.row]
    assert "Chlo\u00e9 Dubois" in names
    assert "Diego Fern\u00e1ndez" in names


def test_latin1_only_bytes_fall_back_to_latin1() -> None:
    # 0x81 is undefined in cp1252, so only latin-1 can read this file.
    table = read_table(b"name,email\nA\x81b \xe9,a@example.com\n")
    assert table.encoding == "latin-1"
    assert table.rows == [["A\x81b \u00e9", "a@example.com"]]


def test_semicolon_file_with_commas_in_cells() -> None:
    data = b"name;email;company\nLiam;liam@example.com;Brightfield, Inc.\nAna;ana@example.com;X\n"
    table = read_table(data)
    assert table.delimiter == ";"
    assert table.rows[0] == ["Liam", "liam@example.com", "Brightfield, Inc."]


# --- structure: quoting, preambles, odd widths ---------------------------------------------


def test_quoted_cells_keep_newlines_and_delimiters_and_count_as_one_line() -> None:
    data = (
        b'name,email,bio\r\n"Okafor, Amara",amara@example.com,"Builds payments.\r\n'
        b'Likes ""quotes"", commas."\r\nBastian,bastian@example.org,\r\n'
    )
    table = read_table(data)
    results = validate_rows(table, guess_mapping(table))

    assert table.rows[0] == [
        "Okafor, Amara",
        "amara@example.com",
        'Builds payments.\r\nLikes "quotes", commas.',
    ]
    # Line numbers are spreadsheet rows: the two-line bio is one row.
    assert [r.line for r in results] == [2, 3]
    assert all(r.ok for r in results)


def test_linkedin_preamble_is_skipped() -> None:
    table = read_table(sample("linkedin_Connections.csv"))
    assert table.headers[:4] == ["First Name", "Last Name", "URL", "Email Address"]
    assert table.skipped_preamble == 3
    assert len(table.rows) == 20
    assert table.rows[0][:2] == ["Zanele", "Dlamini"]


def test_a_two_cell_preamble_narrower_than_the_table_is_skipped() -> None:
    data = b"Event,DevConf 2026\nExported,2026-05-01\n\nname,email,company\nA,a@example.com,X\n"
    table = read_table(data)
    assert table.headers == ["name", "email", "company"]
    assert table.skipped_preamble == 3
    assert table.lines == [5]


def test_rows_are_padded_trimmed_and_blank_rows_dropped() -> None:
    data = b"name, email ,company\n  Ana ,ana@example.com\n,,\n\nBo,bo@example.com,B,extra\n"
    table = read_table(data)
    assert table.headers == ["name", "email", "company"]
    assert table.rows == [["Ana", "ana@example.com", ""], ["Bo", "bo@example.com", "B"]]
    assert table.lines == [2, 5]


def test_untitled_and_repeated_headers_get_unique_labels() -> None:
    table = read_table(b"name,email,,email,\nA,a@example.com,x,b@example.com,\n")
    # The last column has neither a title nor a value (a trailing comma) and is dropped.
    assert table.headers == ["name", "email", "Column 3", "email (2)"]
    assert validate_rows(table, {0: "name", 1: "email"})[0].raw == {
        "name": "A",
        "email": "a@example.com",
        "Column 3": "x",
        "email (2)": "b@example.com",
    }


def test_header_only_is_an_empty_table() -> None:
    table = read_table(b"name,email,company\r\n")
    assert (table.headers, table.rows) == (["name", "email", "company"], [])
    assert validate_rows(table, guess_mapping(table)) == []


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\r\n \n\t", "empty_file"),
        (b"\xef\xbb\xbf", "empty_file"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
            b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01",
            "not_text",
        ),
        (b"\x1f\x8b\x08\x01\x02\x03\x04\x05\x06\x07\x0e\x0f\x10\x11\x12,a,b", "not_text"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00", "spreadsheet_file"),
        (b"just one column\nand some text\n", "no_header"),
    ],
    ids=["empty", "blank", "bom only", "png", "control bytes", "xlsx", "one column"],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, code: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_table(data)
    assert caught.value.code == code
    assert caught.value.message.endswith(".")


def test_too_many_rows() -> None:
    data = b"name,email\n" + b"".join(b"P%d,p%d@example.com\n" % (i, i) for i in range(4))
    assert len(read_table(data, max_rows=4).rows) == 4
    with pytest.raises(ImportFileError) as caught:
        read_table(data, max_rows=3)
    assert caught.value.code == "too_many_rows"
    assert "more than 3 attendee rows" in caught.value.message


def test_too_many_rows_stops_reading_early() -> None:
    data = b"name,email\n" + b"P,p@example.com\n" * 200_000
    with pytest.raises(ImportFileError, match="more than 20,000"):
        read_table(data)


# --- the mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Attendee name", "name"),
        ("Full name", "name"),
        ("Given name", "first_name"),
        ("Attendee name: Given name", "first_name"),
        ("Surname", "last_name"),
        ("Attendee name: Family name", "last_name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("Organisation", "company"),
        ("Organization", "company"),
        ("Company name", "company"),
        ("Position", "job_title"),
        ("Role", "job_title"),
        ("Pronouns", "pronouns"),
        ("Bio", "bio"),
        ("X / Twitter handle", "handle:x"),
        ("Twitter / X handle", "handle:x"),
        ("Mastodon address", "handle:mastodon"),
        ("LinkedIn profile", "handle:linkedin"),
        ("GitHub username", "handle:github"),
        ("Bluesky handle", "handle:bluesky"),
        ("Instagram", "handle:instagram"),
        ("Threads", "handle:threads"),
        ("Homepage", "handle:website"),
        ("Website", "handle:website"),
        ("Barcode #", IGNORE),
        ("Have you used GitHub before?", IGNORE),
        ("T-shirt size", IGNORE),
    ],
)
def test_header_synonyms(header: str, field: str) -> None:
    table = Table(headers=[header], rows=[], encoding="utf-8", delimiter=",", skipped_preamble=0)
    assert guess_mapping(table) == {0: field}


def test_a_field_goes_to_one_column_only() -> None:
    table = read_table(b"Name,Full name,Email,E-mail\nA,A,a@example.com,a@example.com\n")
    assert guess_mapping(table) == {0: "name", 1: IGNORE, 2: "email", 3: IGNORE}


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (["@ana@hachyderm.io", "bo@chaos.social", "https://fosstodon.org/@cy", ""], "mastodon"),
        (["github.com/ana", "https://github.com/bo", "", "github.com/cy/"], "github"),
        (["https://www.linkedin.com/in/ana-g", "linkedin.com/in/bo-lind", ""], "linkedin"),
    ],
)
def test_untitled_column_is_recognised_by_its_cells(cells: list[str], field: str) -> None:
    rows = [[f"Person {i}", f"p{i}@example.com", cell] for i, cell in enumerate(cells)]
    text = "name,email,\n" + "\n".join(",".join(row) for row in rows) + "\n"
    table = read_table(text.encode())

    assert table.headers[2] == "Column 3"
    assert guess_mapping(table)[2] == f"handle:{field}"
    assert all(r.ok for r in validate_rows(table, guess_mapping(table)))


def test_untitled_email_column_is_recognised_unless_email_is_already_mapped() -> None:
    table = read_table(b"Name,Contact\nAna,ana@example.com\nBo,bo@example.org\n")
    assert guess_mapping(table) == {0: "name", 1: "email"}
    table = read_table(b"Name,Email,Billing\nAna,a@example.com,acc@example.com\n")
    assert guess_mapping(table) == {0: "name", 1: "email", 2: IGNORE}


def test_ordinary_columns_are_not_mistaken_for_handles() -> None:
    text = (
        "Name,Email,Phone,Order date,Voucher,Comment\n"
        "Ana,a@example.com,+442079460123,2026-04-20,SPKRNPK43FWS,Invoice to PO 4471\n"
        "Bo,b@example.com,+442079460187,2026-03-29,,\n"
    )
    mapping = guess_mapping(read_table(text.encode()))
    assert [mapping[i] for i in range(2, 6)] == [IGNORE] * 4


@pytest.mark.parametrize(
    ("mapping", "problems"),
    [
        ({0: "name", 1: "email"}, []),
        ({0: "first_name", 1: "email"}, []),
        ({0: "last_name", 1: "email", 2: "handle:x", 3: "handle:x"}, []),
        ({0: "company", 1: "email"}, ["Map a name column (full name, or first and last name)"]),
        ({0: "name", 1: IGNORE}, ["Map a column to E-mail"]),
        (
            {0: "name", 1: "email", 2: "email"},
            ["E-mail is chosen for 2 columns; choose it for one"],
        ),
        ({0: "name", 1: "email", 2: "shoe size"}, ["Unknown field 'shoe size'"]),
    ],
)
def test_mapping_problems(mapping: dict[int, str], problems: list[str]) -> None:
    assert mapping_problems(mapping) == problems


# --- the rows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Ana,ana@example.com,", None),
        (",ana@example.com,", "Name is missing"),
        ("Ana,,", "E-mail is missing"),
        ("Ana,ana@example,", 'E-mail "ana@example" is not valid'),
        ("Ana,ana example@example.com,", 'E-mail "ana example@example.com" is not valid'),
        ("Ana,ana@@example.com,", 'E-mail "ana@@example.com" is not valid'),
        ('Ana,"a@example.com, b@example.com",', "is not valid"),
        ("Ana," + "a" * 250 + "@example.com,", "E-mail is longer than 254 characters"),
        ("A" * 201 + ",ana@example.com,", "Full name is longer than 200 characters"),
        ("Ana,ana@example.com,not a handle", PLATFORM_LABELS["x"] + ": "),
        ("Ana,ana@example.com,n/a", None),
        ("Ana,ana@example.com,-", None),
    ],
)
def test_row_checks(line: str, problem: str | None) -> None:
    (result,) = check("name,email,twitter\n" + line + "\n")
    if problem is None:
        assert result.ok, result.problems
    else:
        assert not result.ok
        assert result.row is None
        assert len(result.problems) == 1
        assert problem in result.problems[0]


def test_email_is_lower_cased_and_a_repeat_rejects_the_later_row() -> None:
    results = check(
        "name,email\nAna,Ana@Example.com\nBo,bo@example.com\nAna again, ANA@example.COM \n"
        "Cy,cy@example\nCy again,cy@example\n"
    )
    assert results[0].row is not None
    assert results[0].row.email == "ana@example.com"
    assert rejected(results) == [
        (4, ["E-mail also on line 2"]),
        (5, ['E-mail "cy@example" is not valid']),
        (6, ['E-mail "cy@example" is not valid']),
    ]


def test_a_repeat_of_a_rejected_row_is_still_a_repeat() -> None:
    # Both rows are shown so the organiser fixes the file rather than importing the wrong one.
    results = check("name,email\n,ana@example.com\nAna,ana@example.com\n")
    assert rejected(results) == [(2, ["Name is missing"]), (3, ["E-mail also on line 2"])]


@pytest.mark.parametrize(
    ("mapping", "name"),
    [
        ({0: "first_name", 1: "last_name", 3: "email"}, "Ana Garc\u00eda Ruiz"),
        ({0: "first_name", 3: "email"}, "Ana"),
        ({1: "last_name", 3: "email"}, "Garc\u00eda Ruiz"),
        ({0: "first_name", 1: "last_name", 2: "name", 3: "email"}, "Dr. Ana Garc\u00eda"),
    ],
)
def test_name_from_full_name_or_first_and_last(mapping: dict[int, str], name: str) -> None:
    text = "first,last,full,email\nAna, Garc\u00eda  Ruiz ,Dr. Ana  Garc\u00eda,a@example.com\n"
    table = read_table(text.encode())
    (result,) = validate_rows(table, mapping)
    assert result.row is not None
    assert result.row.name == name


def test_name_parts_fill_in_when_the_full_name_is_empty() -> None:
    table = read_table(b"first,last,full,email\nAna,Ruiz,,a@example.com\n")
    (result,) = validate_rows(table, {0: "first_name", 1: "last_name", 2: "name", 3: "email"})
    assert result.row is not None
    assert result.row.name == "Ana Ruiz"


def test_every_field_is_carried_and_length_checked() -> None:
    header = "Name,Email,Company,Job title,Pronouns,Bio\n"
    good = "Ana,ana@example.com,Northwind,Engineer,she/her,Likes CSV.\n"
    long = f"Bo,bo@example.com,{'c' * 201},{'j' * 201},{'p' * 41},{'b' * 1001}\n"
    results = check(header + good + long)

    assert results[0].row is not None
    row = results[0].row
    assert (row.company, row.job_title, row.pronouns, row.bio) == (
        "Northwind",
        "Engineer",
        "she/her",
        "Likes CSV.",
    )
    assert results[1].problems == [
        "Company is longer than 200 characters",
        "Job title is longer than 200 characters",
        "Pronouns is longer than 40 characters",
        "Bio is longer than 1000 characters",
    ]


def test_a_bad_handle_rejects_the_whole_row() -> None:
    results = check(
        "name,email,github,mastodon\n"
        "Ana,ana@example.com,github.com/ana,@ana@hachyderm.io\n"
        "Bo,bo@example.com,bo,this is not an address\n"
    )
    assert results[0].ok
    assert results[1].row is None
    assert len(results[1].problems) == 1
    assert results[1].problems[0].startswith(PLATFORM_LABELS["mastodon"] + ": ")


def test_the_same_handle_twice_is_kept_once() -> None:
    table = read_table(b"name,email,twitter,x\nAna,ana@example.com,@ana_dev,x.com/ana_dev\n")
    (result,) = validate_rows(table, {0: "name", 1: "email", 2: "handle:x", 3: "handle:x"})
    assert result.row is not None
    assert [h.key for h in result.row.handles] == ["x:ana_dev"]


def test_validate_tolerates_a_mapping_outside_the_table() -> None:
    table = read_table(b"name,email\nAna,ana@example.com\n")
    (result,) = validate_rows(table, {0: "name", 1: "email", 7: "company", 2: "shoe size"})
    assert result.ok


def test_five_thousand_rows() -> None:
    """The organiser's largest realistic file validates in one pass (timing lives in bench/)."""
    lines = ["Attendee name,Email,Company,X / Twitter handle,GitHub username"]
    lines += [
        f'"Person {i}, Jr.",person{i}@example.com,Company {i % 50},@person_{i},github.com/p{i}'
        for i in range(5000)
    ]
    table = read_table("\r\n".join(lines).encode())
    results = validate_rows(table, guess_mapping(table))

    assert len(results) == 5000
    assert sum(r.ok for r in results) == 5000
    assert results[-1].line == 5001
