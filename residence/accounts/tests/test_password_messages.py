"""Every password rule answers in Chinese by default, and in English when the page is in English."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from residence.accounts.models import User


def messages(password: str, user: User | None = None) -> list[str]:
    with pytest.raises(ValidationError) as err:
        validate_password(password, user)
    return err.value.messages


def test_each_rule_answers_in_chinese() -> None:
    with translation.override("zh-hans"):
        assert messages("abc") == ["密码太短，至少需要 12 个字符。", "这个密码太常见了。"]
        assert messages("password1234") == ["这个密码太常见了。"]
        assert messages("739184620573") == ["密码只包含数字。"]
        user = User(username="zhangsan_clerk", display_name="张三")
        assert messages("zhangsan_clerk1", user) == ["密码跟 用户名 太相似了。"]
        assert password_validators_help_texts() == [
            "你的密码必须包含至少 12 个字符。", "你的密码不能是一个常见密码。", "你的密码不能全都是数字。",
            "你的密码不能与你的其他个人信息太相似。"]


def test_english_when_the_page_is_english() -> None:
    with translation.override("en"):
        assert messages("739184620573") == ["This password is entirely numeric."]
