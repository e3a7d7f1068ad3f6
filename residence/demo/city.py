"""The shape of the synthetic demo city, modelled on the Yantian pilot (seed 001: 5 police stations, 18
rental-housing management stations as acceptance points), plus a small second district so that jurisdiction
scope has something to keep apart. District codes are real GB/T 2260 codes; street, community and grid codes
follow the statistical format but are the demo's own (marked `official=False`)."""

from __future__ import annotations

CITY = ("440300", "深圳市")

# district code, name, [(street name, [community names])]
DISTRICTS: list[tuple[str, str, list[tuple[str, list[str]]]]] = [
    ("440308", "盐田区", [
        ("梅沙街道", ["东海岸社区", "大梅沙社区", "小梅沙社区", "滨海社区"]),
        ("盐田街道", ["盐田社区", "永安社区", "明珠社区", "东和社区", "沿港社区"]),
        ("沙头角街道", ["沙头角社区", "中英街社区", "东埔社区", "桥东社区", "田心社区"]),
        ("海山街道", ["海涛社区", "鹏湾社区", "田东社区", "梧桐社区"]),
    ]),
    ("440303", "罗湖区", [
        ("东门街道", ["湖贝社区", "城东社区", "立新社区"]),
        ("黄贝街道", ["新谊社区", "文华社区", "碧波社区"]),
    ]),
]
GRIDS_PER_COMMUNITY = 4

# Yantian: one police station per street plus the port station = 5; Luohu's two streets get one each.
POLICE_STATIONS = {
    "440308": ["梅沙派出所", "盐田派出所", "沙头角派出所", "海山派出所", "盐田港派出所"],
    "440303": ["东门派出所", "黄贝派出所"],
}
RENTAL_STATIONS_YANTIAN = 18

ROADS = ["海景路", "沙盐路", "深盐路", "盐田路", "东海道", "梧桐路", "北山道", "海山路", "明珠道", "洪安路",
         "东和路", "沿港路", "环梅路", "金融路", "翠竹路", "东门中路", "黄贝路", "爱国路", "文锦路", "新秀路"]
OCCUPATIONS = ["快递员", "餐饮服务员", "建筑工人", "港口装卸工", "保安", "家政服务员", "销售员", "司机",
               "电子厂操作工", "个体经营者", "教师", "护士", "程序员", "厨师", "理发师", "学生", "无业"]
# Provinces that send many migrants to Shenzhen, with rough weights, by the first two digits of the code.
ORIGIN_PROVINCES = {"43": 18, "45": 14, "36": 10, "44": 16, "51": 9, "41": 8, "42": 8, "35": 5, "52": 4,
                    "50": 3, "13": 2, "37": 3}
