"""Sentences about the mail itself, not about a consultation: never (part of) an item.

Members wrap their points in sentences that speak of the writing, not of the matter:
greetings and self-introductions, apologies for lateness, thanks for the answers, an
announcement of what follows (「諮問案件について、以下のとおり質問いたします。」「2点、意見を
申し上げます。」「回答欄に直接書き込みました。」), and courtesy at the end
(「お手数をおかけしますが、よろしくお願いいたします。」). Such a sentence is made only of
words from a small vocabulary of letter-writing: if reading it word by word with that
vocabulary leaves nothing over, it is *meta*. One word of substance (「保存期間」「賛成」)
and it is not — so a short real opinion is never dropped.

The vocabulary is Japanese and English; matching runs on an NFKC copy without spaces
or quote marks, longest words first.
"""

from __future__ import annotations

import functools
import re

from mailflow.parsing.normalize import nfkc

# Words of letter-writing, grouped for reading; each alternative is tried longest first.
_GREETING = (
    "いつも|大変|たいへん|誠に|まことに|どうも|本当に|心より|重ねて|改めて"
    "|お世話になっております|お世話になっています|お世話になります|御世話になっております"
    "|お疲れ様です|お疲れさまです|ご苦労様です|ご無沙汰しております|こんにちは|こんばんは"
    "|おはようございます|拝啓|前略|敬具|草々|かしこ"
)
_APOLOGY = (
    "ご連絡が|ご返信が|返信が|回答が|ご回答が|提出が|お返事が|遅くなりまして|遅くなり|遅くなって"
    "|遅れまして|遅れて|締切間際になり|締め切り間際になり|締切直前になり|期限ぎりぎりで|期限間際で"
    "|ぎりぎりになり|ギリギリになり|直前になり|間際になり|申し訳ありませんでした|申し訳ございませんでした"
    "|申し訳ありません|申し訳ございません|申し訳ない|すみません|失礼いたします|失礼します"
    "|失礼いたしました|失礼しました|恐縮ですが|恐縮です|恐れ入りますが|恐れ入ります"
)
_THANKS = (
    "ありがとうございました|ありがとうございます|ありがとう|感謝いたします|感謝申し上げます"
    "|いただき|頂き|くださり|下さり|いただいた|頂いた|丁寧な|ご丁寧な|迅速な"
)
_READING = (
    "了解いたしました|了解しました|了解です|承知いたしました|承知しました|承知です|分かりました"
    "|わかりました|理解しました|理解いたしました|納得しました|拝承|"
    "拝見いたしました|拝見しました|拝見いたしまして|拝見し|拝読いたしました|拝読しました|拝読し"
    "|読ませていただきました|読みました|読ませていただき|確認いたしました|確認しました|確認させていただきました"
)
_TOPIC = (
    "標記の件|表記の件|件名の件|掲題の件|首記の件|書面審議の件|審議会の件|本件|諮問案件|各諮問案件"
    "|各諮問|各案件|今回|先日|先ほど|先程|前回|追加で|追加の|追加|さらなる|更なる|さらに|更に|もう"
    "|お送りした|送った|に続き|に続いて|に加えて|続き|件|の件|意見の件|質問の件|照会|ご照会"
    "|資料|諮問書|メール|内容|書類|回答書|とりまとめ|取りまとめ|まとめ|送付|ご送付|回答|ご回答"
    "|連絡|ご連絡|返信|ご返信|返事|お返事|下記|以下|次|とおり|通り|添付ファイル|添付|別添|ファイル"
    "|転送の形|転送|返信の形|形|かたち|回答欄|答申欄|記入欄|欄|下|本文|各項目|項目|該当する箇所|該当箇所"
    "|箇所|個所|直接|気になった点|気になる点|点|だけ|のみ|ほど|程|少し|簡単ですが|短いですが|簡単に"
    "|外出先から|外出先|スマホから|スマートフォンから|携帯から|取り急ぎ|とりいそぎ|まず|まずは"
    "|私から|私からは|私の|自分の|以上|です|でした|ます|ました|について|についての|に関して|に関する"
    "|につき|に対して|に対する|及び|および|並びに|ならびに|又は|または|仕方|やり方|方法|よく"
    "|分からなかった|わからなかった|分からない|わからない|不慣れ|慣れておらず|慣れていない"
    "|本日|今日|締切|締め切り|〆切|期限|とのこと|ことで|なので|ですので|気づいた点|気付いた点"
    "|気になった点|感じた点|思った点|思う点|いくつか|何点か|数点|幾つか"
)
_OBJECT = (
    "ご質問|ご意見|ご質疑|ご要望|質問|意見|質疑|要望|コメント|感想|所感|指摘|ご指摘|疑問|等|など"
)
_VERB = (
    "お送りいたします|お送りします|お送り致します|お送りさせていただきます|お送りしました|お送り"
    "|送らせていただきます|送付いたします|送付します|送付致します|送ります|送りました|送信します"
    "|提出いたします|提出します|提出致します|提出させていただきます|お届けします|お届けいたします"
    "|申し上げます|申し上げたい|申し述べます|述べます|述べさせていただきます|記入しました|記入いたしました"
    "|書き込みました|書き込ませていただきました|書きました|書かせていただきました|記載しました"
    "|お伝えします|お伝えいたします|させてください|させて下さい|させていただきます|させて頂きます"
    "|させていただきたく|いたします|致します|いたしました|します|しました|します|あります|ございます"
    "|させて|いたし|し|したい|したく|でございます|になります|となります"
    "|お尋ねします|お尋ねいたします|お尋ね致します|お尋ねしたい|お尋ねしたく|尋ねます|お尋ね"
    "|お伺いします|お伺いいたします|お伺いしたい|お伺いしたく|伺います|伺いたい|伺いたく|お伺い"
    "|お聞きします|お聞きしたい|お聞きしたく|お聞きいたします|確認させてください|確認したい"
    "|確認したく|述べたい|述べさせてください|挙げます|列挙します|まとめました|整理しました"
)
_CLOSING = (
    "お手数をおかけしますが|お手数をおかけいたしますが|お手数をお掛けしますが|お手数ですが|お手数"
    "|ご多用中|ご多用のところ|ご多忙のところ|ご多忙中|お忙しいところ|お忙しい中|お忙しいなか"
    "|引き続き|今後とも|何卒|なにとぞ|どうぞ|どうか|よろしく|宜しく|お願いいたします|お願い致します"
    "|お願い申し上げます|お願いします|お願いいたしたく|お願い|ご確認のほど|ご確認|ご検討のほど"
    "|ご査収のほど|ご査収|ご対応のほど|ご高配|ご配慮"
)
_ENGLISH = (
    "dear|hello|hi|secretariat|thankyou|thanks|for|sending|the|materials|material|this|round"
    "|please|find|my|our|questions|question|comments|comment|opinions|below|following|attached"
    "|iam|ihave|i|have|writing|with|regards|bestregards|kindregards|sincerely|yourssincerely"
    "|best|kind|your|help|and|as|follows|here|are|some|a|few|points|in|advance|to|of|on|per"
    "|request|reply|replying|email|mail|forward|lookingforward|hearing|from|you|all"
    "|papers|paper|documents|document|information|note|notes|remarks|feedback|send|sent"
    "|is|be|was|would|like|to|share|let|me|know|if|any|need|sorry|late|delay|for|it"
)
_PARTICLE = "は|が|を|に|へ|で|と|も|の|や|から|まで|より|ので|ため|けど|けれど|ね|よ|か|・|&"
_PUNCT = re.compile(r"[、。,.!！?？:：;；()（）「」『』【】\[\]\-－ー〜~…・*→⇒]+")
_DIGITS = re.compile(r"(?<![\d一二三四五六七八九十])(?:\d++|[一二三四五六七八九十]++)(?=点|件|つ)")
# 「31号について質問です。」: the heading has been read by then; what is left is meta.
_CONSULTATION = re.compile(
    r"(?:令和\d++年度)?+(?:諮問)?+第?+(?<!\d)\d++号(?:議案|案件)?+|no\.?+(?<!\d)\d++"
    r"|consultation(?:no\.?+)?+\d*+"
)
_SELF_INTRO = re.compile(
    r"(?:委員の|会長の|副会長の|会長職務代理の|審議会委員の)?[^\sぁ-ゖ、。]{1,10}(?:です|でございます)"
)

_WORDS = "|".join(
    sorted(
        {
            w
            for group in (_GREETING, _APOLOGY, _THANKS, _READING, _TOPIC, _OBJECT, _VERB, _CLOSING)
            for w in group.split("|")
        },
        key=len,
        reverse=True,
    )
)
_SUBSTANCE = re.compile(rf"(?:{_WORDS})")
_ENGLISH_WORD = re.compile(rf"(?:{'|'.join(sorted(_ENGLISH.split('|'), key=len, reverse=True))})")
_PARTICLES = re.compile(rf"(?:{_PARTICLE})")
# What makes a sentence about the mail, rather than a stray run of particles.
_ANCHOR = re.compile(
    r"送|提出|申し上げ|述べ|記入|書き|拝見|拝読|読み|ありがとう|申し訳|すみません|失礼|お世話|お疲れ"
    r"|ご苦労|無沙汰|よろしく|宜しく|お願い|とおり|通り|質問|意見|質疑|要望|以上|取り急ぎ|恐縮|恐れ入り"
    r"|添付|転送|回答欄|答申欄|了解|承知|分かりました|わかりました|気づいた|気付いた|気になった"
    r"|以下|下記|尋ね|伺い|お聞き"
    r"|dear|thank|regards|sincerely|please|question|comment"
)
_SELF_INTRO_HINT = re.compile(r"です|でございます")
_SENTENCE = re.compile(r"(?:[^。！？!?.]|\.(?!\s))*(?:[。！？!?]+|\.(?=\s)|\.$)?\s*")
_MAX_META_CHARS = 80  # a long sentence is never only courtesy


def _read_through(flat: str) -> bool:
    """True when ``flat`` is entirely letter-writing words, particles and punctuation."""
    pos = 0
    n = len(flat)
    while pos < n:
        for pattern in (_PUNCT, _DIGITS, _CONSULTATION, _SUBSTANCE, _PARTICLES):
            m = pattern.match(flat, pos)
            if m and m.end() > pos:
                pos = m.end()
                break
        else:
            m = _ENGLISH_WORD.match(flat, pos) if flat[pos].isascii() else None
            if m is None or m.end() == pos:
                return False
            pos = m.end()
    return True


@functools.lru_cache(maxsize=512)
def is_meta_sentence(sentence: str) -> bool:
    """One sentence that speaks only of the writing (module docstring)."""
    flat = re.sub(r"[\s\"'「」『』]+", "", nfkc(sentence)).lower()
    if not flat or len(flat) > _MAX_META_CHARS:
        return False
    return _ANCHOR.search(flat) is not None and _read_through(flat)


_VERDICT_WORDS = re.compile(
    r"賛成|反対|同感|同意|了解|承知|妥当|適当|結構|不要|必要|問題|大丈夫|以上|可|否"
)


def _is_self_intro(sentence: str) -> bool:
    """「竹内です。」: a name, but only beside other meta (「賛成です。」 alone is an opinion)."""
    flat = re.sub(r"\s+", "", nfkc(sentence)).rstrip("。.!！")
    return bool(_SELF_INTRO.fullmatch(flat)) and not _VERDICT_WORDS.search(flat)


_JA_SENTENCE = re.compile(r"[^。！？!?]*+[。！？!?]*+")


def sentences(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences of one line (a sentence ends at 。！？ or the line's end;
    an English one at a period and a space)."""
    pattern = _SENTENCE if "." in text else _JA_SENTENCE
    out: list[tuple[int, int]] = []
    for m in pattern.finditer(text):
        if m.end() > m.start() and not text[m.start() : m.end()].isspace():
            out.append((m.start(), m.end()))
    return out


@functools.lru_cache(maxsize=1024)
def is_meta_line(line: str) -> bool:
    """A line whose every sentence is meta: a greeting, an announcement, a courtesy."""
    if len(line) > 4 * _MAX_META_CHARS:
        return False
    flat = nfkc(line).lower()
    if _ANCHOR.search(flat) is None and _SELF_INTRO_HINT.search(flat) is None:
        return False  # most lines of substance are told apart here, without splitting
    said = [line[a:b] for a, b in sentences(line)]
    meta = [is_meta_sentence(s) for s in said]
    return any(meta) and all(m or _is_self_intro(s) for m, s in zip(meta, said, strict=True))


def meta_prefix(text: str) -> int:
    """How many characters of ``text`` are meta sentences before its first real one."""
    end = 0
    seen_meta = False
    for a, b in sentences(text):
        if is_meta_sentence(text[a:b]):
            seen_meta = True
        elif not (_is_self_intro(text[a:b]) and not seen_meta and b < len(text.rstrip())):
            break
        end = b
    return end if seen_meta else 0


def meta_suffix(text: str) -> int:
    """Where the meta sentences after the last real one of ``text`` begin."""
    spans = sentences(text)
    start = len(text)
    for a, b in reversed(spans):
        if not is_meta_sentence(text[a:b]):
            break
        start = a
    return start


# 「特になし」「追加の意見はありません」「今回の3件とも特になしです」: nothing to say.
_NOTHING_CORE = re.compile(
    r"(?:特に|特段|とくに|別に)(?:は|の)?(?:なし|無し|ない|ありません|ございません|無いです|ないです)"
    r"|(?:質問|意見|質疑|指摘|指摘事項|異議|異論|要望|コメント|問題)(?:等|など|事項)?"
    r"(?:は|も|とも|ともに|について(?:は)?)?(?:特に|特段|とくに)?(?:は)?"
    r"(?:なし|無し|ない|ありません|ございません|ありませんでした|ございませんでした)"
    r"|\bnothing\b|\bno(?:further)?(?:questions|comments|opinions)\b|\bnone\b"
)
_ALL_WORDS = re.compile(r"とも|ともに|いずれも|何れも|どちらも|両件|全件|全て|すべて|3件|各件")


def is_nothing_sentence(sentence: str) -> bool:
    """「特になし」 and the like, with only letter-writing words around it."""
    flat = re.sub(r"[\s\"'「」『』]+", "", nfkc(sentence)).lower()
    if not flat or len(flat) > _MAX_META_CHARS:
        return False
    m = _NOTHING_CORE.search(flat)
    if m is None:
        return False
    rest = _ALL_WORDS.sub("", flat[: m.start()] + flat[m.end() :])
    return _read_through(rest)


@functools.lru_cache(maxsize=1024)
def is_nothing_line(line: str) -> bool:
    """A line that says there is nothing to ask (with at most courtesy around it)."""
    if len(line) > 4 * _MAX_META_CHARS or not _NOTHING_CORE.search(
        re.sub(r"[\s\"'「」『』]+", "", nfkc(line)).lower()
    ):
        return False
    spans = sentences(line)
    said = [line[a:b] for a, b in spans]
    return any(is_nothing_sentence(s) for s in said) and all(
        is_nothing_sentence(s) or is_meta_sentence(s) for s in said
    )
