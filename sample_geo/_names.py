"""Chinese name vocabularies for the synthetic Jilin City sample (no real registry data).

All names are built combinatorially from the word lists below. Place names are real
districts and streets of Jilin City; company and community names are invented.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "TRADE_NAMES",
    "community_name",
    "enterprise_name",
    "place_word",
    "village_group_name",
    "village_name",
]

#: Two-character trade names (字号) for invented companies.
TRADE_NAMES: tuple[str, ...] = (
    "江城", "松花", "北华", "龙潭", "金珠", "恒昌", "鑫源", "瑞丰", "宏达", "永吉",
    "华信", "东晟", "昌盛", "泰和", "天成", "润达", "中吉", "吉兴", "通达", "博远",
    "正元", "嘉禾", "康达", "九鼎", "长白", "雾凇", "乌拉", "哈达", "万顺", "兴隆",
    "隆源", "晨光", "曙光", "远东", "辰宇", "海川", "盛世", "金海", "金鹏", "清源",
    "万峰", "群英", "佳和", "协和", "众诚", "聚源", "润丰", "鼎盛", "恒泰", "德丰",
    "宏业", "北辰", "松江", "江北", "龙华", "凯瑞", "新锐", "恒瑞", "广源", "鸿基",
    "瑞祥", "安泰", "利民", "富源", "天宇", "联创", "同创", "亿达", "信诚", "普惠",
    "和顺", "旭日", "华宇", "星火", "立信", "振兴", "东升", "永盛", "安达", "宝丰",
)

_CITY_PREFIXES: tuple[str, ...] = ("吉林", "吉林市", "吉林省")

# Street and area words used for residential communities (real Jilin City names).
_PLACE_WORDS: tuple[str, ...] = (
    "江城", "松江", "北山", "龙潭", "船营", "昌邑", "丰满", "江南", "江北", "哈达",
    "东局子", "东市场", "河南街", "临江门", "致和", "德胜", "越山", "泰山", "延安",
    "重庆", "光华", "青岛", "新地号", "九站", "土城子", "新华", "遵义", "天津街",
    "温德", "长春路", "珲春街", "解放", "沙河子", "翠江", "世纪", "金珠", "银河",
    "朱雀", "玄武", "雾凇", "松花湖", "小白山", "欢喜岭", "桃源", "通潭", "承德",
    "大东", "向阳", "文庙", "北极", "头道", "二道", "新吉林", "哈达湾", "站前",
)
_COMMUNITY_WORDS: tuple[str, ...] = (
    "花园", "小区", "家园", "新城", "雅苑", "公寓", "名苑", "佳苑", "嘉园", "华府",
    "锦城", "丽景", "水岸", "阳光城", "御景", "绿洲", "新村", "里", "社区", "湾",
    "江畔", "名都", "福邸", "尚城", "逸品", "首府", "花苑", "馨园",
)
_PHASES: tuple[str, ...] = ("一期", "二期", "三期", "四期", "2期", "3期", "A区", "B区", "C区")

_SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱",
    "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
    "邓", "曹", "彭", "曾", "于", "董", "袁", "潘", "田", "姜", "关", "付", "那", "佟",
)
_VILLAGE_STEMS: tuple[str, ...] = (
    "家屯", "家村", "家窝堡", "家岗", "家沟", "家店", "家营", "屯", "家堡子",
)
_VILLAGE_PLAIN: tuple[str, ...] = (
    "孤店子", "大绥河", "小绥河", "缸窑", "乌拉街", "土城子", "金珠", "搜登站", "岔路河",
    "阿什", "大口钦", "江密峰", "旺起", "口前", "双河镇", "西阳", "黄榆", "一拉溪",
    "北大湖", "五里河", "前二道", "后二道", "江南", "孟家", "左家", "桦皮厂", "大屯",
)
_GROUPS: tuple[str, ...] = ("一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组")


def _pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def place_word(rng: np.random.Generator) -> str:
    """Return a real Jilin City district or street word such as ``船营`` or ``东局子``."""
    return _pick(rng, _PLACE_WORDS)


def community_name(rng: np.random.Generator) -> str:
    """Return an invented urban residential community name such as ``松江花园二期``."""
    name = _pick(rng, _PLACE_WORDS) + _pick(rng, _COMMUNITY_WORDS)
    if rng.random() < 0.35:
        name += _pick(rng, _PHASES)
    return name


def village_name(rng: np.random.Generator) -> str:
    """Return an invented village (村/屯) name such as ``孙家屯`` or ``缸窑村``."""
    if rng.random() < 0.6:
        return _pick(rng, _SURNAMES) + _pick(rng, _VILLAGE_STEMS)
    return _pick(rng, _VILLAGE_PLAIN) + "村"


def village_group_name(village: str, index: int) -> str:
    """Return the name of residential group ``index`` (0-based) of ``village``."""
    if index < len(_GROUPS):
        return village + _GROUPS[index]
    return f"{village}{index + 1}组"


def enterprise_name(rng: np.random.Generator, suffix: str, used: set[str]) -> str:
    """Return an unused invented company name ending in ``suffix`` (e.g. ``化工有限公司``).

    ``used`` is updated with the returned name so names stay unique.
    """
    for _ in range(500):
        name = _pick(rng, _CITY_PREFIXES) + _pick(rng, TRADE_NAMES) + suffix
        if name not in used:
            used.add(name)
            return name
    # Exhausted the combinations: add a numeric branch marker.
    base = _pick(rng, _CITY_PREFIXES) + _pick(rng, TRADE_NAMES) + suffix
    n = 2
    while f"{base}（{n}）" in used:
        n += 1
    used.add(f"{base}（{n}）")
    return f"{base}（{n}）"
