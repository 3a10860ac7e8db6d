"""The test server's own multipart reader: it must read what real clients send exactly as
the standard library's email parser does, and refuse what is not multipart/form-data."""

from email.parser import BytesParser
from email.policy import HTTP

import pytest
from requests_toolbelt import MultipartEncoder
from urllib3 import encode_multipart_formdata

from tests.dws_server import multipart

FIELDS = [
    ("instructions", '{"parts": [{"file": "document"}]}'),
    ("document", ('r\u00e9sum\u00e9 "final" (2).pdf', b"%PDF-1.7\r\n\r\n--not a boundary\r\nbinary \x00\xff", "application/pdf")),
    ("logo", ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png")),
]


def by_email_parser(content_type: str, body: bytes) -> dict:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return {
        part.get_param("name", header="content-disposition"): (part.get_filename(), part.get_payload(decode=True))
        for part in message.iter_parts()
    }


def toolbelt_body() -> tuple[str, bytes]:
    encoder = MultipartEncoder(fields=FIELDS)
    return encoder.content_type, encoder.to_string()


def urllib3_body() -> tuple[str, bytes]:
    body, content_type = encode_multipart_formdata(FIELDS)
    return content_type, body


@pytest.mark.parametrize("make", [toolbelt_body, urllib3_body])
def test_reads_real_clients_bodies_as_the_email_parser_does(make):
    content_type, body = make()
    fields = multipart.parse(content_type, body)
    assert fields == by_email_parser(content_type, body)
    assert fields["document"][1] == FIELDS[1][1][1]
    assert fields["instructions"] == (None, FIELDS[0][1].encode())


@pytest.mark.parametrize(
    "damage",
    [
        lambda ct, body: (ct, body[:-10]),  # truncated: no close delimiter
        lambda ct, body: ("multipart/form-data", body),  # no boundary
        lambda ct, body: ("application/json", body),
        lambda ct, body: (ct, body.replace(b"form-data", b"attachment", 1)),
        lambda ct, body: (ct, body.replace(b'name="instructions"', b'nom="instructions"', 1)),
        lambda ct, body: (ct, body.replace(b"\r\n\r\n", b"\r\n", 1)),  # headers never end
        lambda ct, body: (ct, b"preamble\r\n" + body[2:]),
    ],
)
def test_refuses_what_is_not_multipart_form_data(damage):
    content_type, body = damage(*toolbelt_body())
    assert multipart.parse(content_type, body) is None
