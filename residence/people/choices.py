"""Coded values for a person's record: ethnicity (GB/T 3304), education (GB/T 4658, grouped), marital status
(GB/T 2261.2). Names are the standards' own Chinese names; English labels come from translation."""

from __future__ import annotations

from django.db import models

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
