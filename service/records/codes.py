"""The code tables of the 2017 collection (组织类别, 单位, 学历, 工作岗位, 民族), their lookups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from service.records.problems import Problem
from service.records.text import strip_all_spaces

# "011 公务员", "1A 中央党校研究生" and "汉族 01", "党支部(631)", as old systems export them.
_CODE_FIRST = re.compile(r"([0-9A-Z]+)(.+)")
_NAME_FIRST = re.compile(r"(.+?)([0-9A-Z]+)\)?")


def _key(s: str) -> str:
    # Names compare half-width and space-free, so "城市社区(居委会)" finds "城市社区（居委会）".
    return strip_all_spaces(s).upper()


class CodeTable:
    """One code table: codes (strings, leading zeros kept) to names, in the seed's order."""

    def __init__(
        self,
        name: str,
        entries: Iterable[tuple[str, str]],
        aliases: Mapping[str, str] | None = None,
        name_suffix: str = "",
        code_width: int = 0,
    ) -> None:
        self.name = name
        self.entries: dict[str, str] = dict(entries)
        self.aliases: dict[str, str] = dict(aliases or {})
        # "汉" for 汉族: the suffix every name carries and people often leave off.
        self._suffix = name_suffix
        # Excel turns "01" into 1; only a table whose codes all share one width may pad them back.
        self._width = code_width
        self._by_key = {_key(n): c for c, n in self.entries.items()}
        self._by_key.update({_key(a): c for a, c in self.aliases.items()})
        self._headers = {
            c for c in self.entries if any(o != c and o.startswith(c) for o in self.entries)
        }

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def __repr__(self) -> str:
        return f"CodeTable({self.name!r}, {len(self.entries)} codes)"

    def name_of(self, code: str) -> str | None:
        """Return the official name of code, or None if the table lacks it."""
        return self.entries.get(code)

    def code_of(self, name: str) -> str | None:
        """Return the code for an official name or a known alias, or None."""
        key = _key(name)
        found = self._by_key.get(key)
        if found is None and self._suffix and key:
            found = self._by_key.get(key + self._suffix)
        return found

    def normalize(self, value: str) -> str | None:
        """Return the code meant by value (a code, a name, an alias, or "code name"), or None."""
        key = _key(value)
        if not key:
            return None
        if key in self.entries:
            return key
        padded = key.zfill(self._width)
        if self._width and re.fullmatch(r"[0-9]+", key) and padded in self.entries:
            return padded
        found = self.code_of(key)
        if found is not None:
            return found
        # A code written together with its name counts only if both halves agree.
        for code, name in _split_code_and_name(key):
            meant = {self.code_of(n) for n in (name, name.rstrip("(:-"), name.strip("():-"))}
            if code in self.entries and code in meant:
                return code
        return None

    def is_selectable(self, code: str) -> bool:
        """Tell whether code is a leaf: in the table and not the header of longer codes."""
        return code in self.entries and code not in self._headers

    def items(self) -> list[tuple[str, str]]:
        """Return every (code, name), headers included, in the seed's order."""
        return list(self.entries.items())

    def leaves(self) -> list[tuple[str, str]]:
        """Return the selectable (code, name) pairs in the seed's order."""
        return [(c, n) for c, n in self.entries.items() if c not in self._headers]

    def leaves_under(self, code: str) -> list[tuple[str, str]]:
        """Return the selectable codes that refine the header code."""
        return [(c, n) for c, n in self.leaves() if c != code and c.startswith(code)]


def _split_code_and_name(key: str) -> list[tuple[str, str]]:
    first, last = _CODE_FIRST.fullmatch(key), _NAME_FIRST.fullmatch(key)
    return ([(first[1], first[2])] if first else []) + ([(last[2], last[1])] if last else [])


def check_code(table: CodeTable, value: str, field: str, label: str) -> list[Problem]:
    """Report a value that is not a selectable code of table."""
    if value in table:
        if table.is_selectable(value):
            return []
        finer = table.leaves_under(value)
        shown = "、".join(f"{c} {n}" for c, n in finer[:6]) + ("等" if len(finer) > 6 else "")
        return [Problem(field, "CODE_NOT_LEAF",
                        f"{label}“{value} {table.name_of(value)}”是分类，不能直接选用，"
                        f"请改选其下的具体代码：{shown}")]
    meant = table.normalize(value)
    hint = f"；“{value}”应填代码 {meant}（{table.name_of(meant)}）" if meant else ""
    return [Problem(field, "CODE_UNKNOWN",
                    f"{label}“{value}”不是《{table.name}代码》中的代码{hint}")]


def _table(text: str) -> list[tuple[str, str]]:
    """Parse "code name" lines (the seeds' layout) into pairs; indented lines continue a name."""
    pairs: list[tuple[str, str]] = []
    for line in text.strip().splitlines():
        if line[0].isspace():
            code, name = pairs.pop()
            pairs.append((code, name + line.strip()))
        else:
            code, name = line.split(None, 1)
            pairs.append((code, name))
    return pairs


ORG_TYPES = CodeTable("组织类别", _table("""
6 党的基层组织
611 党委
621 党总支部
631 党支部
632 联合党支部
9 临时基层党组织
911 临时党委
921 临时党总支部
931 临时党支部
932 临时联合党支部
"""))
BRANCH_ORG_TYPES = frozenset({"631", "632", "931", "932"})
COMMITTEE_ORG_TYPES = frozenset({"611", "911"})  # 党委, 临时党委: a 基层党委 is one of these
JOINT_ORG_TYPES = frozenset({"632", "932"})

UNIT_TYPES = CodeTable("单位性质类别", _table("""
1 乡镇街道
11 城市街道
12 城市社区（居委会）
13 乡镇
14 农村社区（居委会）
15 建制村
2 企业
21 国有经济控制
22 集体经济控制
23 非公有经济控制
3 事业单位
4 机关
5 社会组织
9 其他
"""))

UNIT_PARTY_ORG = CodeTable("单位建立中共组织情况", _table("""
1 单独建立基层党组织的
11 建立党委的
12 建立党总支部的
13 建立党支部的
2 建立联合党支部的
"""))
JOINT_PARTY_ORG_STATUS = "2"

EDUCATION = CodeTable("学历", _table("""
1 研究生教育
11 博士研究生
12 硕士研究生
13 硕士生班
1A 中央党校研究生
1B 省（区、市）委党校研究生
2 本专科教育
21 大学
22 大专
23 大学普通班
24 第二学士学位班
2A 中央党校大学
2B 省（区、市）委党校大学
2C 中央党校大专
2D 省（区、市）委党校大专
4 中等职业学校
41 中等专科
44 职业高中
47 技工学校
6 普通高中
7 初中
8 小学
9 其他
"""), aliases={
    # Everyday words for the same levels; "大学" in this table means 大学本科 (GB/T 4658).
    "大学本科": "21", "本科": "21", "大学专科": "22", "专科": "22",
    "博士": "11", "硕士": "12", "中专": "41", "职高": "44", "技校": "47", "高中": "6",
})

# 工作岗位 as a county's 2017 forwarding notice prints it (the central notice's copy is garbled
# by its two-column layout).
JOBS = CodeTable("工作岗位", _table("""
0 在岗职工
01 机关干部岗位
011 公务员
012 参照公务员法管理的工作人员
02 企事业单位管理、专业技术岗位
0211 事业单位管理岗位
0212 事业单位专业技术岗位
0213 公有经济控制企业管理岗位
0214 公有经济控制企业专业技术岗位
0215 非公有经济控制企业管理岗位
0216 非公有经济控制企业专业技术岗位
0217 民办非企业管理岗位
0218 民办非企业专业技术岗位
0311 公有经济控制单位工勤岗位
0312 非公有企业工勤岗位
0313 民办非企业工勤岗位
0314 机关单位工勤岗位
0315 事业单位工勤岗位
1 农牧渔民
11 农牧渔业生产人员
122 乡村医生
123 外出务工经商人员
124 其他农牧渔民
2 解放军、武警
3 学生
30 研究生
301 研究生毕业年级学生
302 研究生一年级学生
303 研究生其他年级学生
31 大学本科学生
311 大学本科毕业年级学生
312 大学本科一年级学生
313 大学本科其他年级学生
32 大学专科学生
321 大学专科毕业年级学生
322 大学专科一年级学生
323 大学专科其他年级学生
33 中等专业学校学生
34 高中学生
35 技工学校学生
5 离退休人员
501 离休干部
502 退休人员
503 退职人员
504 内部退养职工
6 其他人员
601 大学生村官
602 社区工作人员
603 停薪留职人员
604 个体工商户中的从业人员
605 自由职业人员
606 （转业）待安置、学生毕业未就业的人员
607 公派或因私出国、出境逾期未归的人员
608 改革后不再保留原机关干部身份，党组织关系仍保留在原单位的人员
609 企业破产后，领取保险金或被辞退的职工中未重新就业的人员
610 由于各种原因，已经离开本人的生产、工作岗位，并已不在本单位从事其他工作，
    但仍与单位保留劳动关系的职工（不包括内部退养职工）
611 党组织关系在人才（劳动）服务中心，不明职业的人员
612 其他从业人员
613 其他无业人员
"""), aliases={"大学专科学学生": "32"})  # a typo of circulated copies, still in old systems

# GB/T 3304-1991 plus the 97/98 codes every Chinese information system adds.
_ETHNIC_NAMES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 "
    "畲 高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 "
    "阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 "
    "门巴 珞巴 基诺"
).split()
ETHNICITIES = CodeTable(
    "民族",
    [(f"{i:02d}", f"{n}族") for i, n in enumerate(_ETHNIC_NAMES, 1)]
    + [("97", "其他（未识别民族）"), ("98", "外国血统中国籍人士")],
    aliases={
        "毛难族": "36", "崩龙族": "46",  # names before the 1986 and 1985 renamings
        "其他": "97", "未识别民族": "97", "外国血统": "98",
        "57": "97", "58": "98",  # some systems numbered the two extras right after the 56
    },
    name_suffix="族",
    code_width=2,
)
