"""A department's 「確認中のため後日回答します」: not an answer, a promise of one.

Written where the answer goes (「回答：（大学に確認中のため、後日回答）」) or in a
sentence of the covering text that names the items (「なお、Q31-03とQ31-05は現在確認中の
ため、後日回答します。」), it leaves those items unanswered and marks them *deferred*:
members see 「回答準備中」 until the real answer comes. A long answer that mentions
that something is being studied (「…周知方法については、現在検討しています。」) is an
answer: only a short text made of deferral words counts.

And 「追加で」「補足します」 at the head of an answer: it adds to the answer given before,
where an answer without them replaces it.
"""

from __future__ import annotations

import re

from mailflow.parsing.normalize import nfkc
from mailflow.parsing.references import find_item_ids

_PENDING = re.compile(
    r"確認中|調査中|検討中|照会中|精査中|問い?合わせ中|集計中|調整中|協議中|準備中|作成中"
    r"|確認して(?:おり|い)|検討して(?:おり|い)|確認が取れ(?:ておらず|ていない|次第)|確認(?:でき)?次第"
    r"|(?:調べ|調査し|照会し|問い?合わせ|精査し|整理し|調整し|協議し)て(?:おり|い)"
    r"|(?:分かり|わかり|判り|判明し|整い|まとまり)(?:次第|ましたら)|判明したら"
)
_LATER = re.compile(
    r"(?:後日|追って|改めて|あらためて|別途|後ほど|のちほど|次回)(?:に)?(?:ご)?(?:回答|お答え|報告|ご報告|連絡|ご連絡|お知らせ)"
    r"|回答(?:は|を)?(?:後日|追って|改めて|別途|しばらく)|回答(?:まで)?(?:に)?(?:は)?(?:少し|しばらく)?"
    r"(?:時間|お時間|日数)を(?:要|いただ|頂)|回答を?保留|回答準備中|未定"
    r"|持ち越|先送り|お待ち(?:ください|下さい|いただ|頂)|(?:お)?時間を(?:いただ|頂)|猶予を"
    r"|次回(?:の(?:会議|審議会|委員会))?(?:まで)?に(?:ご)?(?:回答|お答え|報告|ご報告)"
    r"|確認(?:の)?(?:うえ|上|後)[、,]?(?:改めて|後日|次回)?(?:ご)?(?:回答|報告|ご報告|連絡|ご連絡)"
)
# The words a deferral is written with, beyond the two above: nothing of substance.
_FILLER = re.compile(
    r"[\s、。,.()（）「」・:：\-]|現在|ただいま|只今|なお|また|大学|所管|関係|担当|部署|機関|課|係|先方"
    r"|事業者|委託先|業者|国|県|都|に|へ|で|の|を|は|が|と|も|ため|ので|につき|おり|中|です|ます|します"
    r"|いたします|致します|させていただきます|ください|下さい|お待ち|ご了承|申し訳|ありません|ございません"
    r"|本件|本項目|この項目|質問|ご質問|意見|ご意見|について|に関して|当該|件|内容|事項|点|同様|同じ"
    r"|回答|ご回答|連絡|ご連絡|報告|ご報告|お知らせ|少々|しばらく|今しばらく|恐れ入りますが|恐縮ですが"
    r"|でしょうか|ますでしょうか|けます|させて"
)
_MAX_DEFERRAL = 80
_ADDS = re.compile(
    r"^\s*+[(（【\[]?+\s*+(?:追加で|追加として|追加回答|補足|追記|さらに補足|重ねて)"
)


_ID = re.compile(r"(?:[Qq]\s*+)?+(?<!\d)\d++\s*+[-－ー]\s*+\d++")


def _substance(text: str) -> str:
    flat = _ID.sub("", nfkc(text))
    flat = _PENDING.sub("", flat)
    flat = _LATER.sub("", flat)
    return _FILLER.sub("", flat)


def is_deferral(answer: str) -> bool:
    """True when the answer text only says the answer will come later: short, and every
    sentence of it says so (with its reason) or is courtesy."""
    flat = nfkc(answer).strip()
    if not flat or len(flat) > _MAX_DEFERRAL:
        return False
    said = [s for s in re.split(r"(?<=[。.!！?？\n])", flat) if s.strip("。.!！?？\n ()（）")]
    promised = [bool(_PENDING.search(s) or _LATER.search(s)) for s in said]
    return any(promised) and all(
        p or len(_substance(s)) <= 4 for p, s in zip(promised, said, strict=True)
    )


def deferred_in(text: str, keys: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The item IDs a covering text says will be answered later, sentence by sentence."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[。.!！?？\n])", text):
        ids = find_item_ids(sentence, keys)
        if not ids:
            continue
        flat = nfkc(sentence)
        if _PENDING.search(flat) or _LATER.search(flat):
            out += [i for i in ids if i not in out]
    return tuple(out)


def adds_to_earlier(answer: str) -> bool:
    """「追加で…」「補足します。…」: this answer adds to an earlier one for the item."""
    return _ADDS.match(nfkc(answer)) is not None
