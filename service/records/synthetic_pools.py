"""Word pools for synthetic demo people and places: names, place-name parts, phones, ethnicity."""

from __future__ import annotations

# The ~100 commonest surnames with their approximate share in per-ten-thousand (2020 census
# order), plus a few compound ones, so a roster of 300 looks like a real one.
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (name, int(weight)) for name, weight in (pair.split(":") for pair in (
        "王:712 李:719 张:677 刘:538 陈:453 杨:308 黄:223 赵:229 吴:205 周:194 徐:166 孙:154 "
        "马:145 朱:128 胡:131 郭:112 何:116 高:107 林:101 罗:88 郑:82 梁:80 谢:70 宋:62 唐:62 "
        "许:58 韩:56 冯:56 邓:55 曹:53 彭:52 曾:50 肖:48 田:47 董:46 袁:44 潘:42 于:42 蒋:41 "
        "蔡:40 余:39 杜:38 叶:38 程:37 苏:35 魏:35 吕:34 丁:33 任:33 沈:31 姚:30 卢:29 姜:29 "
        "崔:28 钟:28 谭:27 陆:26 汪:26 范:25 金:25 石:24 廖:24 贾:23 夏:22 韦:22 付:21 方:21 "
        "白:20 邹:20 孟:20 熊:19 秦:19 邱:19 江:18 尹:18 薛:17 闫:17 段:16 雷:16 侯:16 龙:15 "
        "史:15 陶:14 黎:14 贺:14 顾:13 毛:13 郝:13 龚:12 邵:12 万:12 钱:12 严:11 覃:11 武:11 "
        "戴:11 莫:10 孔:10 向:10 汤:10 欧阳:5 司马:1 诸葛:1 上官:1"
    ).split())
)

# Given-name characters by sex; two of them, or one (about a fifth of people).
MALE_CHARS = tuple("伟强军磊勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林峰建国志文海东成荣"
                   "新春德福生永庆光金祥兵良晨博轩睿航泽瑞毅诚坤昊然阳锋彬松柏正天")
FEMALE_CHARS = tuple("芳娜敏静丽艳娟霞燕玲桂英秀兰梅红萍琳洁雪婷慧莉倩颖琴云凤晶欣怡佳悦雨萱诗"
                     "梦瑶薇雯璐丹玉珍淑翠霞蓉月茜蕾")
# Names of the 1930s-1960s cohorts, whole: 建国, 秀英 … were given in their thousands.
OLD_MALE_NAMES = tuple("建国 建华 国庆 卫东 卫国 志强 志刚 建军 国强 德明 永福 长春 振华 红旗 "
                       "建平 国华 德胜 保国 文明 富贵 长江 解放 跃进 援朝 胜利 新民".split())
OLD_FEMALE_NAMES = tuple("秀英 桂英 秀兰 玉兰 桂兰 淑珍 凤英 玉珍 秀珍 凤兰 秀云 桂珍 玉梅 红梅 "
                         "素珍 翠英 金凤 兰英 淑英 爱华 秀芳 桂芳 冬梅 春兰".split())

# Names as written by Uyghur/Kazakh (given·father), Tibetan and Mongolian members.
UYGHUR_MALE = tuple("买买提 艾合买提 阿不都热合曼 吐尔逊 依明 艾力 努尔艾力 热合曼 "
                    "亚森 阿里木".split())
UYGHUR_FEMALE = tuple("阿依古丽 古丽娜尔 帕提古丽 热依拉 米热古丽 努尔古丽 再努尔 "
                      "阿依努尔".split())
TIBETAN_FIRST = tuple("扎西 次仁 格桑 尼玛 达瓦 巴桑 索朗 拉巴 益西 普布".split())
TIBETAN_MALE = tuple("多吉 顿珠 平措 旺堆 罗布 加措".split())
TIBETAN_FEMALE = tuple("卓玛 央金 拉姆 德吉 措姆 曲珍".split())
MONGOL_MALE = tuple("巴特尔 苏和 额尔敦 宝音 朝鲁 孟和 那顺 巴图".split())
MONGOL_FEMALE = tuple("其其格 萨仁 乌兰 托娅 高娃 斯琴 乌云 娜仁".split())
DOTTED_NAME_PEOPLES = frozenset({"05", "17", "29", "43"})  # 维吾尔 哈萨克 柯尔克孜 乌孜别克
TIBETAN_PEOPLES = frozenset({"04", "54"})  # 藏 门巴
MONGOL_PEOPLES = frozenset({"02"})

# Place names are composed from these: towns, villages, communities, roads, firms.
PLACE_FIRST = tuple("东西南北新大小青白石黄红金长高双龙凤马柳杨桃梅松竹兴安和平永丰泰福寿清"
                    "河湖山峰岭桥庄湾塘坪坝沙林花")
PLACE_SECOND = tuple("山河湖桥林店集口岭湾塘坪园城阳泉溪沟岗坡营屯庙田埠堡源洲")
ROAD_SUFFIXES = ("路", "路", "街", "大道", "巷")
INDUSTRIES = ("机械", "电子", "建材", "纺织", "食品", "化工", "科技", "物流", "建筑", "农业发展",
              "环保", "医药", "服装", "包装", "新材料", "信息技术", "商贸", "汽车配件", "印刷",
              "家具")
FIRM_WORDS = tuple("华兴盛达泰鑫宏远恒通瑞丰凯辰博宇联创航精诚汇金")
DEPARTMENTS = ("第一车间", "第二车间", "第三车间", "机关第一", "机关第二", "销售部", "技术中心",
               "质量管理部", "物流分公司", "设备动力部", "财务部", "安全环保部")
SOCIAL_ORGS = ("个体劳动者协会", "商会", "物业管理协会", "律师协会", "会计学会", "老年人协会")

# Mobile blocks in real use (the carriers' allocated prefixes), weighted towards the old ones.
MOBILE_PREFIXES: tuple[tuple[str, int], ...] = tuple(
    (p, int(w)) for p, w in (x.split(":") for x in (
        "138:9 139:9 135:7 136:7 137:7 150:5 151:5 152:4 158:5 159:5 182:4 187:4 188:3 130:4 "
        "131:4 132:3 155:3 156:3 185:3 186:4 133:3 153:3 180:3 181:2 189:3 177:2 199:2 191:1 "
        "195:1 198:1 166:1 176:1 173:1"
    ).split())
)
# The capital's area code of each province: the landline of someone living there.
AREA_CODES: dict[str, str] = dict(x.split(":") for x in (
    "11:010 12:022 13:0311 14:0351 15:0471 21:024 22:0431 23:0451 31:021 32:025 33:0571 "
    "34:0551 35:0591 36:0791 37:0531 41:0371 42:027 43:0731 44:020 45:0771 46:0898 50:023 "
    "51:028 52:0851 53:0871 54:0891 61:029 62:0931 63:0971 64:0951 65:0991"
).split())
# Capitals whose local numbers still have 7 digits (libphonenumber's CN metadata); others have 8.
SEVEN_DIGIT_PROVINCES = frozenset("14 15 45 54 62 63 64 65".split())

# 民族 weights (per thousand) by province of the ID's address code; elsewhere the national mix.
_NATIONAL = "01:970 03:8 11:6 08:4 05:1 06:3 07:2 15:2 04:1 02:1 12:1 09:1"
_BY_PROVINCE = {
    "65": "05:400 01:450 17:80 03:50 02:10 29:10",
    "54": "04:850 01:130 03:10 54:10",
    "45": "08:300 01:620 13:40 06:20 12:20",
    "64": "03:350 01:640 11:10",
    "15": "02:180 01:780 11:20 03:10 31:10",
    "52": "01:620 06:120 09:80 12:50 15:50 07:30 37:30 25:20",
    "53": "01:670 07:110 14:40 16:40 08:30 18:30 06:30 20:20 04:10 24:10 21:10",
    "63": "01:530 04:240 03:150 30:40 35:20 02:20",
    "22": "01:910 10:40 11:40 03:10",
    "21": "01:840 11:120 02:20 03:10 10:10",
    "46": "01:840 19:150 06:10",
    "43": "01:900 15:40 06:30 12:20 13:10",
    "42": "01:950 15:40 06:10",
    "50": "01:930 15:50 06:20",
    "51": "01:940 07:30 04:20 33:10",
    "62": "01:910 03:50 04:20 26:10 48:10",
    "13": "01:960 11:30 03:10",
}


def _weights(spec: str) -> tuple[tuple[str, int], ...]:
    return tuple((c, int(w)) for c, w in (x.split(":") for x in spec.split()))


ETHNIC_WEIGHTS: dict[str, tuple[tuple[str, int], ...]] = {
    p: _weights(spec) for p, spec in _BY_PROVINCE.items()}
NATIONAL_ETHNIC_WEIGHTS = _weights(_NATIONAL)
