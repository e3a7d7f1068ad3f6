"""Coded values for a person's record: ethnicity (GB/T 3304), education (GB/T 4658, grouped), marital status
(GB/T 2261.2). Names are the standards' own Chinese names; English labels come from translation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residence.core.columns import Code, coded

_ETHNIC_NAMES = [
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族",
    "朝鲜族", "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族",
    "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族",
    "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族",
    "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族",
    "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族",
    "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
]

Ethnicity = models.TextChoices(  # type: ignore[misc,call-overload]
    "Ethnicity",
    [(f"E{i:02d}", (f"{i:02d}", name)) for i, name in enumerate(_ETHNIC_NAMES, start=1)]
    + [("E97", ("97", "其他")), ("E98", ("98", "外国血统中国籍人士"))],
)


class Education(models.TextChoices):
    POSTGRADUATE = "10", "研究生"
    UNIVERSITY = "20", "大学本科"
    COLLEGE = "30", "大学专科"
    SECONDARY_VOCATIONAL = "40", "中等职业教育"
    HIGH_SCHOOL = "60", "普通高级中学"
    JUNIOR_HIGH = "70", "初级中学"
    PRIMARY = "80", "小学"
    OTHER = "90", "其他"


class MaritalStatus(models.TextChoices):
    SINGLE = "10", "未婚"
    MARRIED = "20", "已婚"
    WIDOWED = "30", "丧偶"
    DIVORCED = "40", "离婚"
    UNSTATED = "90", "未说明"


class ResidenceReason(models.TextChoices):
    """Why the person lives here (居住事由)."""

    WORK = "work", _("Work")
    BUSINESS = "business", _("Business")
    STUDY = "study", _("Study")
    FAMILY = "family", _("Joining family")
    MEDICAL = "medical", _("Medical treatment")
    OTHER = "other", _("Other")


# How import columns accept these fields (core/columns.py): the code, the standard name, or a name people commonly
# type. Education also takes GB/T 4658-2006's detailed codes (11 博士研究生毕业 … 81 小学毕业), stored as their group,
# and any name followed by 毕业.
_EDUCATION_ALIASES = {
    "10": ("研究生教育", "硕士", "硕士研究生", "博士", "博士研究生"),
    "20": ("本科", "大学", "大本", "学士", "大学本科教育"),
    "30": ("大专", "专科", "高职", "高职高专", "大学专科教育"),
    "40": ("中专", "中技", "技校", "技工学校", "职高", "职业高中", "中职", "中等专科", "中等专业学校"),
    "60": ("高中", "普通高中", "普通高级中学教育"),
    "70": ("初中", "初级中学教育"),
    "80": ("小学教育",),
    "90": ("文盲", "半文盲", "文盲或半文盲", "未上学"),
}
_MARITAL_ALIASES = {"20": ("初婚", "再婚", "复婚", "有配偶", "21", "22", "23"), "40": ("离异",),
                    "90": ("未说明的婚姻状况",)}


def _education_codes() -> list[Code]:
    codes = []
    for value, label in Education.choices:
        names = (str(label), *_EDUCATION_ALIASES.get(value, ()))
        detailed = tuple(str(int(value) + i) for i in range(1, 10)) if value != "90" else ()
        graduated = tuple(n + "毕业" for n in names if value != "90" and not n.endswith("教育") and n != "学士")
        codes.append(Code(value, str(label), (*names[1:], *graduated, *detailed)))
    return codes


ETHNICITY = coded([Code(v, str(label), tuple(a for a in (str(label).removesuffix("族"), v.lstrip("0"))
                                             if a and a != str(label)))
                   for v, label in Ethnicity.choices])  # type: ignore[attr-defined]
EDUCATION = coded(_education_codes())
MARITAL_STATUS = coded([Code(v, str(label), _MARITAL_ALIASES.get(v, ())) for v, label in MaritalStatus.choices])
