"""password_protect_pdf on the local engine, and encrypted inputs."""

from __future__ import annotations

import inspect
import io

import pikepdf
import pytest

from batchproc import Client, errors
from tests.factories import encrypted_pdf, page_texts, text_pdf


def test_user_password_encrypts_with_aes256_and_owner_defaults_to_user():
    out = Client().password_protect_pdf(text_pdf(pages=2), user_password="open-me")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(out))
    with pikepdf.open(io.BytesIO(out), password="open-me") as pdf:
        assert pdf.encryption.R == 6 and pdf.encryption.bits == 256
        assert pdf.owner_password_matched  # the owner password is the user password
        assert len(pdf.pages) == 2


def test_permissions_are_mapped_to_the_pdf_permission_bits():
    out = Client().password_protect_pdf(text_pdf(pages=1), user_password="u", owner_password="o",
                                        permissions=["printing", "fill_forms"])
    with pikepdf.open(io.BytesIO(out), password="u") as pdf:
        assert not pdf.owner_password_matched
        allow = pdf.allow
        assert allow.print_lowres and allow.modify_form
        assert not (allow.print_highres or allow.extract or allow.modify_other or allow.modify_annotation
                    or allow.modify_assembly)
    with pikepdf.open(io.BytesIO(out), password="o") as pdf:
        assert pdf.owner_password_matched


def test_owner_password_only_opens_without_a_password_but_restricts():
    out = Client().password_protect_pdf(text_pdf(pages=1), owner_password="boss", permissions=[])
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert pdf.is_encrypted and not pdf.allow.extract and not pdf.allow.print_lowres


def test_bad_permission_names_and_missing_passwords_fail_before_work():
    with pytest.raises(errors.OperationError, match="unknown permission"):
        Client().password_protect_pdf(text_pdf(pages=1), user_password="u", permissions=["print"])
    with pytest.raises(errors.OperationError, match="user_password, an owner_password"):
        Client().password_protect_pdf(text_pdf(pages=1))


def test_encrypted_input_reencrypted_with_a_new_password():
    out = Client().process(encrypted_pdf(password="old"), [
        {"method": "rotate_pages", "params": {"degrees": 90}},
        {"method": "password_protect_pdf", "params": {"user_password": "new"}},
    ], password="old")
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(out), password="old")
    with pikepdf.open(io.BytesIO(out), password="new") as pdf:
        assert [int(p.obj.Rotate) for p in pdf.pages] == [90, 90]


def test_protection_survives_a_later_in_memory_step_and_linearize():
    out = Client().process(text_pdf(pages=2), [
        {"method": "password_protect_pdf", "params": {"user_password": "pw"}},
        {"method": "optimize_pdf", "params": {"linearize": True}},
        {"method": "set_pdf_metadata", "params": {"title": "Locked"}},
    ])
    with pikepdf.open(io.BytesIO(out), password="pw") as pdf:
        assert pdf.is_encrypted and pdf.is_linearized and str(pdf.docinfo.Title) == "Locked"


def test_protect_over_a_batch(tmp_path):
    inputs = [text_pdf(pages=1, text=f"Doc{n}") for n in range(3)]
    result = Client().batch_process(inputs, [{"method": "password_protect_pdf", "params": {
        "user_password": "team", "permissions": ["printing"]}}], parallel=False)
    assert result.failed == [] and len(result.successful) == 3
    for source, data in result.successful:
        with pikepdf.open(io.BytesIO(data), password="team") as pdf:
            assert pdf.encryption.R == 6 and not pdf.allow.extract
        assert page_texts(pikepdf_decrypt(data, "team"))[0].startswith("Doc")


def pikepdf_decrypt(data: bytes, password: str) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data), password=password) as pdf:
        pdf.save(out)
    return out.getvalue()


def test_direct_method_takes_the_dws_client_parameters_in_order():
    assert list(inspect.signature(Client.password_protect_pdf).parameters) == [
        "self", "input_file", "output_path", "user_password", "owner_password", "permissions", "password"]
