"""The seed round R2-5 in the store: every item, answer, follow-up and decision of the minutes.

Written through the store models directly (intake has its own tests), so that the minutes,
the export and the demo can be checked against the published minutes word for word. The
texts are the seed's, verbatim except where a page break of the published file split a
word in two. Which member asked what is not published; the builder spreads the items over
the example committee's members in a fixed order.
"""

# The seed's paragraphs are kept whole, one string each, so they can be compared verbatim.
# ruff: noqa: E501

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailflow.clock import FixedClock
from mailflow.config import Database, load_config
from mailflow.domain.roundspec import load_round_spec
from mailflow.services.context import Services
from mailflow.services.rounds import import_round
from mailflow.store import db
from mailflow.store import rounds as rounds_repo
from mailflow.store.directory import sync_committee
from mailflow.store.models import Answer, Decision, Item

ROOT = Path(__file__).resolve().parents[2]
COMMITTEE_FILE = ROOT / "examples" / "committee-r2-5.toml"
ROUND_FILE = ROOT / "examples" / "round-r2-5.toml"
EXPECTED_MINUTES_MD = ROOT / "tests" / "fixtures" / "minutes" / "r2-5.expected.md"
SECRETARY = "情報公開係長"
CONDITION = "仕様書への追記等指摘事項の実施をお願いし"
DECISION_TEXT = "仕様書への追記等指摘事項の実施をお願いし、本件を可とする。"


@dataclass(frozen=True)
class SeedAnswer:
    text: str
    secretariat: bool = False  # the secretariat's own answer (情報公開係長)
    department: str | None = None  # department key; default: the consultation's first


@dataclass(frozen=True)
class SeedItem:
    text: str
    answers: tuple[SeedAnswer, ...] = ()
    phase: int = 1
    follow_ups: tuple[SeedItem, ...] = field(default_factory=tuple)


def A(text: str, **kw: object) -> SeedAnswer:
    return SeedAnswer(text, **kw)  # type: ignore[arg-type]


def kind_of(text: str) -> str:
    """question / opinion / request, as the parser would call the seed's items."""
    last = text.strip().splitlines()[-1].rstrip("。 ")
    if re.search(r"(求める|要望する|お願いしたい|されたい|記載すること|提案する|こと)$", last):
        return "request"
    if re.search(r"(か|かがか|伺う)$", last):
        return "question"
    return "opinion"


@dataclass(frozen=True)
class SeedRound:
    """What the builder wrote: the round key and the public IDs per consultation."""

    key: str
    item_ids: dict[str, tuple[str, ...]]


def seed_services(data_dir: Path, database_url: str | None = None, **minutes: object) -> Services:
    """Services for the example committee on a fresh database at the newest schema.

    ``minutes`` overrides keys of the config's ``[minutes]`` (e.g. ``anonymous=False``).
    MAILFLOW_TOKEN_SECRET must be set (the example config reads it).
    """
    conf = load_config(COMMITTEE_FILE)
    update: dict[str, object] = {"data_dir": data_dir}
    if database_url is not None:
        update["database"] = Database(url=database_url)
    if minutes:
        update["minutes"] = conf.minutes.model_copy(update=minutes)
    data_dir.mkdir(parents=True, exist_ok=True)
    services = Services(
        config=conf.model_copy(update=update),
        clock=FixedClock(datetime(2021, 2, 1, 10, 0, tzinfo=UTC)),
        actor="staff:test",
    )
    db.upgrade(services.engine)
    return services


def build_seed_round(services: Services) -> SeedRound:
    """Import round R2-5 when missing, then write the seed's records into it."""
    spec = load_round_spec(ROUND_FILE)
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        exists = rounds_repo.get(s, committee.id, spec.id) is not None
    if not exists:
        import_round(services, spec, ROUND_FILE)
    tz = services.config.committee.tz
    ids: dict[str, list[str]] = {}
    with db.transaction(services.sessions) as s:
        committee = sync_committee(s, services.config)
        rnd = rounds_repo.get(s, committee.id, spec.id)
        assert rnd is not None
        members = [m for m in rounds_repo.members_by_key(s, committee).values()]
        members.sort(key=lambda m: m.id)
        depts = rounds_repo.departments_by_key(s, committee)
        chair = next(m for m in members if m.role == "chair")
        writer = _Writer(s, rnd.id, members, depts, tz)
        for cons in rnd.consultations:
            writer.consultation = cons
            for seed in SEED[cons.key]:
                writer.item(seed, None)
            ids[cons.key] = tuple(writer.written.pop(cons.key, []))
            s.add(
                Decision(
                    round_id=rnd.id,
                    consultation_id=cons.id,
                    verdict="approve_with_conditions",
                    conditions=CONDITION,
                    text=f"○「{cons.title}」について、諮問どおり行うことを「可」とする。\n"
                    + DECISION_TEXT,
                    state="confirmed",
                    decided_by_member_id=chair.id,
                    received_at=datetime(2021, 1, 26, 15, 0, tzinfo=tz),
                )
            )
    return SeedRound(spec.id, {k: tuple(v) for k, v in ids.items()})


class _Writer:
    """Writes items in the seed's order, numbering them per consultation as intake does."""

    def __init__(self, session, round_id, members, depts, tz) -> None:  # type: ignore[no-untyped-def]
        self.s = session
        self.round_id = round_id
        self.members = members
        self.depts = depts
        self.consultation = None  # type: ignore[var-annotated]
        self.count = 0
        self.written: dict[str, list[str]] = {}
        self.tz = tz

    def item(self, seed: SeedItem, parent: Item | None) -> None:
        cons = self.consultation
        assert cons is not None
        seq = len(self.written.setdefault(cons.key, [])) + 1
        public_id = f"Q{cons.key}-{seq:02d}"
        member = self.members[self.count % len(self.members)]
        self.count += 1
        day = 10 if seed.phase == 1 else 18  # before D1 (1/13) and before D3 (1/20)
        at = datetime(2021, 1, day, 9, 0, tzinfo=self.tz) + timedelta(minutes=self.count)
        row = Item(
            round_id=self.round_id,
            consultation_id=cons.id,
            member_id=member.id,
            phase=seed.phase,
            seq=seq,
            public_id=public_id,
            kind=kind_of(seed.text),
            text=seed.text,
            parent_item_id=parent.id if parent is not None else None,
            state="active",
            position=0,
            received_at=at,
        )
        self.s.add(row)
        self.s.flush()
        self.written[cons.key].append(public_id)
        for n, ans in enumerate(seed.answers):
            dept_key = ans.department or cons.departments[0].key
            self.s.add(
                Answer(
                    item_id=row.id,
                    department_id=None if ans.secretariat else self.depts[dept_key].id,
                    by_secretariat=ans.secretariat,
                    author_label=SECRETARY if ans.secretariat else None,
                    phase=2 if seed.phase == 1 else 3,
                    text=ans.text,
                    received_at=at + timedelta(days=3, minutes=n),
                )
            )
        self.s.flush()
        for child in seed.follow_ups:
            self.item(child, row)


def normalise(text: str) -> str:
    """Whitespace-insensitive form for comparing minutes: one line per non-blank line."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def proceedings_part(markdown: str) -> str:
    """The 会議経過 of a Markdown rendering, from its heading to 以上."""
    start = markdown.index("## 会議経過")
    end = markdown.index("\n以上", start) + len("\n以上")
    return markdown[start:end]


def _q(
    text: str, *answers: SeedAnswer, phase: int = 1, follow_ups: tuple[SeedItem, ...] = ()
) -> SeedItem:
    return SeedItem(text, tuple(answers), phase, follow_ups)


def _f(text: str, *answers: SeedAnswer) -> SeedItem:
    return SeedItem(text, tuple(answers), 3)


_JOHO = "joho-seisaku"

# 諮問第13号 子育て応援ギフトセット配布業務委託 — 子ども保健・給付課; in the seed's order.
_SEED_13: tuple[SeedItem, ...] = (
    _q(
        "諮問書P. 3「5 コンピュータ・記録媒体の利用、外部接続の有無（4）」で、データの削除に関し「専用のソフトを使用」とあるが、市が指定したソフトか、それとも事業者が任意で選択するのか。特に事業者が任意で選択する場合には、どのようなソフトを使用したか削除完了報告書で分かるようにした方が良いと思うが、そのようになっているのか伺う。\n"
        "使用するソフトやバージョンを確認することで、相手への牽制にもなるので、それらの確認はお願いしたい。",
        A(
            "事業者が任意で選択することを想定している。現状の仕様書では、削除完了報告書に使用ソフト名を記載しなければならない旨は読み取れないため、削除完了報告書の内容として使用ソフト名等（作業開始日時、作業完了日時、作業実施場所、作業担当者名、責任者名）の記載を要する旨、仕様書に明記する。"
        ),
    ),
    _q(
        "諮問書P. 1「1委託理由」について、令和3年度子育て応援ギフトセットの配布予測数はいくつか。また、「専門職15名」はどのような仕事をするのか。",
        A(
            "1, 100件を見込んでいる。専門職は、保健師、助産師を指している。妊婦面接及び妊婦面接時の子育て応援ギフトセットの配布のほか、主たる業務として母子健康手帳の交付、妊産婦や乳幼児の支援、ご家庭の訪問、相談業務、健康診査業務等を行っている。"
        ),
    ),
    _q(
        "諮問書P. 2「4個人情報を取り扱う作業の留意点（2）責任者の配置」について、市側にも、受託者側との連絡調整責任者を定め明確化すべきではないか。",
        A(
            "受託者側に連絡責任者を設定する目的は、受託者における個人情報の取扱いが適正であるかの調査や、個人情報の紛失や漏えい等の事故があった際に、委託者（市）は受託者の誰に連絡を取るべきなのかを明確にするためであり、委託者（市）側に「連絡責任者」という立場を設定する特段の事情はないものと認識している。なお、委託者（市）側の責任の所在を明確にするということに関しては、本件契約に関する担当者が設定されるのに加え、東村山市契約事務規則の規定により、監督職員及び契約事務所管責任者が必ず設置されることとなるため、それをもって足りるのではないかと考えている。"
        ),
    ),
    _q(
        "諮問書P. 1「2委託内容（1）ウ」について、受託者への引換券の文書番号及び発行管理番号の連絡は、いつ行うのか。発行管理台帳への記帳後、その都度行うのか。",
        A("お見込みのとおり、引換券を作成し、発行管理台帳への記帳を行った後に、その都度提供する。"),
    ),
    _q(
        "諮問書P. 2「2委託内容（4）」に「追跡機能等を利用し」とあるが、これは諮問書P. 2「4個人情報を取り扱う作業の留意点（5）」に記載の「簡易書留郵便等の受領証」で確認すると云う事か。「等」の記述が気になる。",
        A(
            "お見込みのとおり、基本的には受領証に記載される追跡番号で確認する。「等」の記述に関しては、たとえば受託者が配達証明を付加した場合、この場合、追跡機能を利用せずに受取り確認が可能となるが、そういった場合などを考慮して付したものである。"
        ),
    ),
    _q(
        "諮問書P. 31「令和3年度子育て応援ギフトの運用方法（案）2（5）イ」にある発行管理台帳について、これには工程管理機能があり、受領確認トレースが出来る処理構造があるのか。また、この発行管理台帳は紙のみか、それともデジタル化されていて、PCでの管理が可能なのか。",
        A(
            "発行管理台帳は、「引換券作成」、「引換券交付」、「実績報告受理」の3つの工程に分かれており、お見込みのとおり発行管理番号ごとの受領確認トレースができる処理構造となっている。本台帳はデジタル化されているため、紙を使用せず、PCにて管理を行う。"
        ),
    ),
    _q(
        "「簡易書留郵便等の受領証」の複写（コピー）禁止は、どこかに記載されているか。",
        A(
            "諮問書P. 21「個人情報の取扱いに関する特約条項 第6条第2項」にて、取得個人情報の複製、加工、再生、所定の場所からの持ち出しを禁止している。"
        ),
    ),
    _q(
        "諮問書P. 2「4個人情報を取り扱う作業の留意点(1)」について、作業場所へのスマホ等IT機器の持ち込みは禁止されているか。",
        A(
            "スマートフォン、携帯電話等のIT機器の持ち込みを禁止する旨の具体的なルールは記載されていないため、仕様書に明記する。"
        ),
    ),
    _q(
        "諮問書P. 18「仕様書(案) 別記様式2」の従事者名簿に採用枠(社員、契約社員、非社員(パート、アルバイト))と、非社員の場合、勤務年数もあつた方が信頼性が上がるのではないか。また、東村山市在住か否かもあれば、利用者の安心感が上がると思う。",
        A(
            "採用枠及び勤続年数を様式に追加する。市内在住か否かの件は、本件委託については、業務規模の観点から(市外業者である)百貨店等を指名する可能性が高く、ほとんどの受託業務従事者が市外在住となることが予想される。全ての従事者が「市外在住」と報告される可能性もあることを考慮すると、本件委託に関しては東村山在住か否かは記載しない方向でいきたいと考えている。"
        ),
    ),
    _q(
        "受託従事者は、採用時および退社時に会社に対し「業務上知り得た個人情報を家族を含めた方に話す事をしてはならない旨の誓約書へのサイン」をする仕組みとなっているか。行政業務のアウトソーシングには必要である。",
        A("誓約書の提出が仕様書に明記されていないため、その旨明記する。"),
    ),
    _q(
        "諮問書P. 3「5コンピュータ・記録媒体の利用、外部接続の有無(1)」に記載の「定期的または不定期にパスワードを変更する。」について、定期的とは、一年で2回以上の解釈で良いか。",
        A("四半期に1回程度のパスワード変更を要求することを想定している。"),
    ),
    _q(
        "不定期とは、受託業務従事者の退任時を含むと考えて良いか。",
        A(
            "ご指摘いただいた状況を含め、人事異動などで受託業務従事者が受託業務から外れた場合を想定している。"
        ),
    ),
    _q(
        "諮問書P. 3「5コンピュータ・記録媒体の利用、外部接続の有無(2)」に記載の「外部記録媒体は一切使用しない。」について、情報保護には、情報漏洩以外にも情報喪失・誤記録の防止観点がある。情報喪失の観点からの質問であるが、情報バックアップ体制は大丈夫か。",
        A(
            "諮問書P. 20「個人情報の取扱いに関する特約条項 第6条」にて、紛失、改ざん、破損等の情報喪失を防止することを義務付けており、受託者決定後には情報バックアップ体制に注意していただくよう、口頭でも指導する。なお、万が一デジタルデータの誤削除が生じてしまった場合においても、引換券の事務処理欄の確認や受領証との突合によって送付管理状況の復元は可能であると思われるので、引換券を提出したかたにギフトが届かない事故は避けられると考えている。"
        ),
    ),
    _q(
        "諮問書P. 12「仕様書(案) 2(3)」について、案内文書およびギフト券発送時の住所も印刷されると思うが、印刷ミスや貼付けミス時のミス紙の取り扱いの明文化も必要だと思う。",
        A(
            "ご指摘いただいたミス紙も、個人情報の取扱いに関する特約条項及び情報セキュリティ合意書の内容を遵守した取扱いが必要な旨、仕様書に明記する。"
        ),
    ),
    _q(
        "諮問書P. 1「1委託理由」に「現在まで専門職15名による物品配布及び事務職1名による物品調達体制により」とあるが、専門職の処遇も含め、本委託後どのような体制になるのか。",
        A(
            "事務職1名が委託業務の契約処理、引換券作成、検査、支払、受託者との連絡調整を担い、専門職15名は妊婦面接時の引換券の交付を担うこととなる。従来から直営による実施のための職員加配は行っていないため、専門職、事務職ともに処遇に変化はない。"
        ),
    ),
    _f(
        "諮問書P. 1「2委託内容(1)ウ」について、市があらかじめ委託業者に提供する文書番号及び発行管理番号の提供方法、様式はどのようなものか。",
        A("Eメールを使用し、パスワードロックをかけたエクセルファイルにて提供する。"),
    ),
    _f(
        "諮問書P. 2「4個人情報を取り扱う作業の留意点(2)責任者の配置」について、市に配置した責任者の名簿等の提出を求めているかがか。",
        A(
            "市に配置した責任者の名簿等については、「取得個人情報取扱責任者の届出」により責任者の部署、役職、氏名等を報告させる。"
        ),
    ),
    _f(
        "諮問書P. 2「4(2)責任者の配置」は「市との連絡調整を行う責任者を設置する」である。これは、「取得個人情報取扱責任者」と必ずしも同じ者を設置するとは限らないのではないのか。別の者を設置する場合届けさせる必要があるのではないのか。また、この項目について、市の考え方が明確になるよう検討してはどうかか。",
        A(
            "連絡調整を行う責任者と個人情報の取扱責任者を混同した回答をしてしまい、大変失礼した。ご指摘のとおり、ルール上必ずしも同じ者を設置しなければならないわけではないため、個人情報の取扱責任者の届けとは別に、連絡調整を行う責任者の届けを提出させることとする。"
        ),
        A(
            "「責任者」の解釈については、本項目を設定した趣旨を鑑み、今後は、偽装請負防止の観点より「契約内容や履行状況等に係る市との連絡調整を行う責任者」についてと、個人情報の取扱いに関する特約条項に基づく「取得個人情報取扱責任者」についての2点について、責任者の設定や届出の有無、特命随意契約等で事前に決まっている場合はその者の役職等を記載するよう諮問書作成所管へ指示するようにする。",
            secretariat=True,
        ),
    ),
    _f(
        "諮問書P. 16、18「仕様書(案)別記様式1及び2」のタイトルについて、他の記述との整合性等から再考されてはどうかか。例えば、別記様式1「子育て応援ギフト配布委託契約報告書」の「委託契約」を「実績」に、別記様式2「子育て応援ギフト配布委託契約従事者名簿」の「委託契約」を「委託業務」にである。",
        A(
            "ご指摘いただいた部分について、全体の整合性を整えるよう再考する。また、その他の部分についても再度精査させていただき、名称の整合性を整える。"
        ),
    ),
    _f(
        "諮問書P. 24「情報セキュリティに関する合意書 第2条第2項」の条文を、諮問第14号と統一してはどうかか。また、同合意書第1条第4項の対策基準書及び第2条第2項の個人情報保護等に係る教育の実施状況については、市に提出等を求められたい。",
        A(
            "条文については委員ご提案のとおり統一すべく、諮問第14号が第13号で使用しているものと同じものを使用することとする。",
            secretariat=True,
        ),
        A(
            "対策基準書及び教育の実施状況は、受託業者が決まり次第、ご指摘いただいた内容の確認をさせていただき、受託者に要請する。"
        ),
    ),
    _f(
        "ギフト引換券には有効期限があるのか。また、年度をまたがって継続する事業と思われるが、くれぐれも遺漏のないよう対応されたい。年度をまたがるもの、受託業者の変更時など。",
        A(
            "有効期限を設定し、引換券面上に明記する。ご指摘のとおり、年度をまたぐ処理が発生する事業であるため、十分に注意を払い、対応する。"
        ),
    ),
    _f(
        "諮問書P. 1「2委託内容(3)」にある「簡易書留郵便以外の送付方法を用いる場合」とは、どのような場合を想定しているのか。",
        A(
            "例えば一般書留郵便など、簡易書留郵便以上のセキュリティ機能及び追跡機能を有する送付方法を受託業者が希望した場合を想定している。"
        ),
    ),
    _f(
        "諮問書P. 2「3受託者が取り扱う個人情報の種類」について、氏名、住所、電話番号の3つと少ないように見えるが、これから生まれてくる新生児の情報は名簿業者からすれば、喉から手が出るほど欲しい情報だと思う。我が家の娘が成長していく過程にも七五三の着物、ランドセルの販売、制服やコートの販売、成人式の着物等のDMが次々と送られてきた。幼稚園や小学校に上がるようになれば、個人の情報が洩れることもあるかもしれないと思うが、乳児となれば情報が洩れた経緯の特定もしやすくなると思う。これから入札を開始し、事業者を選んでいくとのことになるので、情報流出の可能性が低く、信用のおける事業者に委託していただけるように切に要望する。",
        A(
            "本件委託で取り扱う個人情報は新生児本人のものではないが、母親の住所と同一住所であることは容易く予測でき、委員ご指摘のとおり個人情報の取扱いに関する特約条項で禁じている目的外利用が危惧されることはごもっともである。ご要望のとおり、信用のおける事業者を選定できるよう努める。"
        ),
    ),
    _f(
        "妊婦に引換券が配布されるのは、どのタイミングで、どのように、どこで行われるのか。",
        A(
            "引換券の配布は、妊娠届を受理する際に行う妊婦面接のタイミングで、専門職からの手渡しで、東村山市役所の所管課窓口にて行う。また、今後、新型コロナウイルス感染症の影響により対面で面接を行えなかった場合に、オンライン面接を実施し、郵送で引換券を配布する、ということが考えられる。"
        ),
    ),
    _q(
        "これまで複数の委員より仕様書へ明記するよう要請が出ているものがいくつかあり、所管課からは、その内4つについて仕様書へ明記する旨の回答があった。しかし、3つの指摘事項については「個人情報の取扱いに関する特約条項」に記載されていることで足りるという回答となっている。個人情報におけるリスクは、移動や加工時に最も高くなる。個人情報を扱う作業において、実際に作業に当たる者に、「何をやるのか」と同時に「何をやってはいけないのか」をはっきりわかるようにしておかなければならない。したがって、特約条項での縛りを過信せず、作業者が直接目にする仕様書に「やってはならないこと」を書いておく必要がある。ギフトを扱う百貨店を受託者の候補に挙げているということではあるが、当節どんな企業においても非正規雇用者やパートタイマーが増えている。継続的に雇用されて継続的に情報セキュリティの教育を受けている人員が必ず当てられるかどうか不明である状況において、「この程度のことは常識であろう」と軽々に考えるのは、大切な個人情報を委託する側としては禁物である。ゆえに、仕様書は、できるだけ詳しく、丁寧に作成することを求めるとともに、次の(1)から(3)までのことについて仕様書への追記等を求める。",
        phase=3,
        follow_ups=(
            _f(
                "(1)「簡易書留郵便等の複写禁止」を仕様書に記載すること。",
                A(
                    "簡易書留郵便等の受領証の複写禁止を仕様書に明記する。また、あわせて引換券についても複写禁止と明記するようにする。"
                ),
            ),
            _f(
                "(2)「情報バックアップ体制の注意：紛失・誤記録・誤削除に十分注意すること」に関し、仕様書に記載すること。",
                A(
                    "情報バックアップ体制（紛失、誤記録、誤削除の防止）に十分注意する旨、仕様書に明記する。"
                ),
            ),
            _f(
                "(3)印刷ミスや貼り付けミスをしたシールの取り扱いについて、シュレッダーで読み取り・復元できないよう廃棄処分すること。その際幾つミスが出たか記録もさせ、四半期ごとにミスの数と廃棄処分を確実にした旨の報告をさせること。\n"
                "記録と報告は責任者に行わせること。",
                A(
                    "①印刷ミス、貼り付けミス時のシールの取扱いについて、シュレッダーで裁断し、個人情報情報を復元不可能な状態にした上で廃棄処分をすること。②その際のミスの記録については、ミス件数及び廃棄処分を確実にした旨の報告を月次（毎月）で行うこと。③記録と報告は個人情報情報の取扱責任者が行うこと。以上3点を仕様書に明記する。なお、報告頻度については四半期ごととのご指摘であるが、報告漏れを防ぐために、請求及び実績報告と同じく月次（毎月）とさせていただきたいと考えている。"
                ),
            ),
        ),
    ),
    _f(
        "データ消去ソフトがどんなものを使用しているかの確認は、非常に重要である。当審議会でもこの点はどの業務委託事業・所管課にも常に念を押している。専用ソフトについては、事後ではなく、委託時に必ず確認すること。そして、それを確認することを、所管課側の事業委託仕様書などに記載しておくこと。また、同様に、「四半期ごと前後に1回のパスワード変更を要求する」ことも記載すること。",
        A(
            "個人情報情報を削除する際に使用するデータ消去ソフトについては、仕様書の別記様式としてあらかじめ様式を作成し、契約締結後速やかに市に届けを提出するよう、仕様書に明記する。加えて、本届の提出をさせる旨、所管課側で持つ事務マニュアルに記載する。パスワード変更の要求についても、仕様書に定期の頻度として少なくとも四半期ごとに1回であることを明記し、所管側の事務マニュアルにもパスワード変更を要求・確認する旨記載する。"
        ),
    ),
    _f(
        "文書番号と発行者番号は、パスワード付きのメールで送信するとあるが、これは、複数回行われることになると今回の回答から理解した。送信をする過程ではただの番号でも、照合により個人情報の一部となるものである。送信時にも個人情報そのものと同様の注意を払うよう、念のためお願いしたい。",
        A("承知した。個人情報そのものと同様の注意を払うよう徹底する。"),
    ),
)

# 諮問第14号 病児保育予約システム使用委託 — 保育幼稚園課 and 情報政策課; in the seed's order.
_SEED_14: tuple[SeedItem, ...] = (
    _q(
        "ICT活用による病児保育予約システムを導入している区市はどのくらいあるのか。",
        A(
            "多摩26市では、自治体として予約システムを導入している市はないが、インターネット予約ができる施設を利用できる市は3分の1程度ある。"
        ),
    ),
    _q(
        "本件を委託できる事業者は、何社くらいあるのか",
        A("当市で機能の確認を行った事業者としては3社である。"),
    ),
    _q(
        "病児保育の受け入れ枠に対し、事業の利用率を伺う。また、申込数、キャンセル数、利用不可であった数や理由等のデータは、システムから抽出できるのか。",
        A(
            "平成31年度実績では約37%の利用率であった。なお、令和2年度は新型コロナウイルス感染症の影響により、12月末までの利用率は約4%となっている。また、申込数、キャンセル数等の利用予約データをExcelまたはCSV形式で出力可能とすることを仕様書に含めている。"
        ),
    ),
    _q(
        "利用登録はあらかじめ必要か。また、必要な場合、事業者に申し込むのか。",
        A(
            "これまでと同様、利用登録は必要となるが、書類によるもののほか、予約システムを介してアカウントを取得することにより利用登録することができるようになる。いずれの方法も、市に登録申請をすることになる。"
        ),
    ),
    _q(
        "諮問書P. 1「3受託者が取扱う個人情報の種類」について、電話番号とメールアドレスは複数のものを登録することが可能なのか。また、「事業利用の原因となる病名及び症状」や「利用費無料の該当又は非該当」の情報は、センシティブ情報なので、十分慎重に扱ってほしい。",
        A(
            "メールアドレスは1つのみ、電話番号は複数登録することが可能である。個人情報の取り扱いについては、十分に留意して慎重に取り扱う。"
        ),
    ),
    _q(
        "諮問書P. 2「4個人情報を取り扱う作業の留意点(3)」の「～保守並びに障害対応の作業を行うにあたって～」について、諮問書P. 3「5外部接続の有無等(1)②」を見るに、データセンターのセキュリティは大丈夫だと思うが、ハードウェア及びソフトウェアの保守並びに障害対応に、データセンター以外の他のメーカーの職員が対応するケースが考えられるので、メーカー名およびそのメーカーのセキュリティ対応状況を尋ねておいて頂きたい。これは、過去に他自治体において、ハードウェア保守でハードディスク交換が行われた際、古いハードディスクが記録内容を消去することなく転売されてしまう事件があったので、念のためである。",
        A(
            "AWSではセキュリティ上ハードウェアやソフトウェアの詳細等は公表していないが、米国国防総省方式による消去や、消磁、物理破壊などをすることがAmazon社内廃棄プロセスとして決まっている。また、ISO等の安全性評価に関わる認証を取得し、第三者による監査を定期的に受けていることから、安全性を担保できていると考えている。",
            department=_JOHO,
        ),
    ),
    _q(
        "インターネット環境を活用できない人や、活用できるが利用を望まない者にもサービス格差が生じないように十分配慮されたい。",
        A(
            "市役所窓口で、タブレット端末を利用した利用登録支援や書面による利用登録の受付を行えるようにするほか、従前どおり電話による予約も継続して行うことで、利用者サービスに格差が生じないように十分に配慮する。"
        ),
    ),
    _f(
        "諮問書P. 2「4個人情報を取り扱う作業の留意点(2)」について、市に配置した責任者の名簿等の提出を求めているかがか。",
        A(
            "諮問書P. 15「個人情報の取扱いに関する特約条項 第8条」にあるとおり、取得個人情報取扱責任者の届出を書面で提出させる。"
        ),
    ),
    _f(
        "諮問書P. 18「情報セキュリティに関する合意書 第2条第2項」の条文を、諮問第14号と統一しているかがか。また、同合意書第1条第4項の対策基準書及び第2条第2項の個人情報保護等に係る教育の実施状況については、市に提出等を求められたい。",
        A(
            "委員ご提案のとおり、諮問第13号と文言を統一する。また、対策基準書及び教育の実施状況についても、ご指摘の通り、情報セキュリティに関する合意書に基づき、市への提出を求める。"
        ),
    ),
    _f(
        "諮問書P. 20「病児・病後児保育事業業務委託仕様書(案)5(2)ウ」に「施設内の保育スペース以外の事務室等で施錠できる棚等」とあるが、明確に場所が特定できないため、施錠する鍵の管理者名を届け出してもらおうよう提案する。",
        A(
            "病児・病後児保育事業業務委託は以前より実施しているものであり、これまでも戸棚等の鍵の管理を含めた責任者の届出を書面により受けている。"
        ),
    ),
    _f(
        "諮問書P. 2「5外部接続の有無等」について、病児保育の予約を大手のAmazonが提供するクラウドサービスを使用することだが、私自身もAmazonのサービスを使用している者として感じることは、大手ゆえにAmazonを騙るフィッシングメールや詐欺メールが送られて来て困ることが多いということである。このような詐欺行為に巻き込まれないように利用者に対して注意啓発やフォローは行われるのか。",
        A(
            "AWSはあくまでもシステム事業者がクラウドサービスとして使うものであり、Amazonが病児保育予約システムを提供しているわけではない。そのため、本予約システム利用者側にはAmazonのサービスを使ったシステムを利用しているという認識がそもそも無いため、病児保育に関するAmazonを騙る詐欺メールが届いたとしても、詐欺行為に巻き込まれることはないと考えている。",
            department=_JOHO,
        ),
    ),
    _f(
        "どのような場合でも常に市からの委託を名乗ったり業者を騙ったりする者が出てくる。市からAmazonの名を出す必要はないが、定期的に詐欺メールに対する注意喚起をしてはどうか。",
        A("病児保育予約システムや市ホームページ等により、定期的に利用者に注意喚起を実施する。"),
    ),
    _f(
        "クラウドサービスはAmazonを使用することが決まっているのに、受託者が決まっていないのはなぜか。",
        A(
            "入札前で受託者が確定していないため、受託者については未定としたが、市が求める要件を満たすことが出来る事業者がAWSを活用している事業者であったので、諮問書はAWSの活用を前提とし作成したためである。",
            department=_JOHO,
        ),
    ),
    _f(
        "諮問書P. 2「4個人情報を取り扱う作業の留意点(4)」にある「情報セキュリティ事象の記録(ログ等)」は、定期的に報告してもらう予定があるか。格別の事象がないなら「ない」という報告も含めて。",
        A("運用保守の月次報告としてもらう予定である。", department=_JOHO),
    ),
    _f(
        "受託者に要求する第三者認証にはどのようなものを予定しているのか。",
        A("ISOやプライバシーマークを想定している。", department=_JOHO),
    ),
)

SEED: dict[str, tuple[SeedItem, ...]] = {"13": _SEED_13, "14": _SEED_14}
