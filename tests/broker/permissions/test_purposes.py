"""The broker's Purpose enum is the consent registry's purpose vocabulary, written out."""

from broker.permissions.purposes import Purpose
from consent.vocabulary import PURPOSES


def test_purpose_enum_lists_the_vocabulary_codes_in_order():
    assert [purpose.value for purpose in Purpose] == list(PURPOSES)


def test_each_purpose_member_is_named_after_its_code():
    assert all(purpose.name == purpose.value for purpose in Purpose)
