from __future__ import annotations

import pytest

from stride.certificates import status_list
from stride.certificates.codes import new_code, normalize_code


def test_bits_are_numbered_from_the_left_of_the_first_byte() -> None:
    bits = status_list.set_bit(status_list.empty_list(), 0)
    assert bits[0] == 0x80
    bits = status_list.set_bit(bits, 9)
    assert bits[1] == 0x40
    assert status_list.is_set(bits, 0) and status_list.is_set(bits, 9)
    assert not status_list.is_set(bits, 1)


def test_the_encoded_list_is_multibase_base64url_of_gzip_and_round_trips() -> None:
    bits = status_list.set_bit(status_list.empty_list(), 131_071)
    encoded = status_list.encode_list(bits)
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded
    assert status_list.decode_list(encoded) == bits
    assert len(bits) * 8 == status_list.LIST_SIZE == 131_072
    with pytest.raises(ValueError):
        status_list.decode_list("uAAAA")


def test_codes_survive_how_people_type_them_and_catch_typos() -> None:
    code = new_code()
    assert len(code) == 11 and code[5] == "-"
    assert normalize_code(code.lower().replace("-", " ")) == code
    assert normalize_code(code.replace("0", "o").replace("1", "l")) == code
    wrong = code[:2] + ("A" if code[2] != "A" else "B") + code[3:]
    assert normalize_code(wrong) is None
    assert normalize_code("short") is None
