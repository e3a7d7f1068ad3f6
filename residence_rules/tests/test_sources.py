"""Every value cites the law by its own name: the document as its readers know it, with its number or title and
the article or paragraph relied on."""

from __future__ import annotations

import re

from residence_rules.parameters import load_library

# The documents the parameters rely on, as they are cited; each ref starts with one of them.
DOCUMENTS = (
    "《居住证暂行条例》(国务院令第663号)",
    "《中华人民共和国户口登记条例》(1958)",
    "台政办发〔2016〕112号",
    "深圳市人民政府关于《深圳经济特区居住证条例》实施情况的报告(2016)",
    "《盐田区居住证试点工作方案》(深府办〔2007〕63号)",
    "湖北省公安厅关于《湖北省流动人口服务和管理条例》实施情况的报告(2017)",
)
# an article (第十条) or a paragraph of the local documents (二(二)1, 五(一)1(2), 一)
ARTICLE = re.compile(r"第[一二三四五六七八九十]+条|[一二三四五六七八九十](\([一二三四五六七八九十]\)[0-9()]*)?")


def _entries() -> list[tuple[str, str, str, str]]:
    library = load_library()
    return [(loc.locality, entry.key, entry.source.ref, entry.source.text + entry.source.note)
            for loc in library.localities.values() for timeline in loc.timelines.values() for entry in timeline]


def test_every_source_names_its_document_and_article() -> None:
    entries = _entries()
    assert len(entries) >= 60
    for locality, key, ref, _ in entries:
        for part in ref.split("; "):
            part = part.removeprefix("数字见")
            document = next((d for d in DOCUMENTS if part.startswith(d)), None)
            assert document is not None, f"{locality} {key}: {ref!r} names no known document"
            assert ARTICLE.search(part[len(document):]), f"{locality} {key}: {ref!r} names no article"


def test_no_source_says_seed() -> None:
    for locality, key, ref, text in _entries():
        assert "seed" not in (ref + text).lower(), f"{locality} {key}"
        assert not re.search(r"\b(Nat|TZ|HB|SZ|YT)\b", ref), f"{locality} {key}: {ref!r}"


def test_fees_cite_article_21_and_endorsement_article_10() -> None:
    refs = {(loc, key): ref for loc, key, ref, _ in _entries()}
    assert refs[("national", "fees.charged_services")] == "《居住证暂行条例》(国务院令第663号) 第二十一条"
    assert refs[("national", "fees.card_fee_yuan")] == "《居住证暂行条例》(国务院令第663号) 第二十一条"
    assert refs[("national", "permit.endorsement.every_years")] == "《居住证暂行条例》(国务院令第663号) 第十条"
