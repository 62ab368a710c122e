"""What page chrome looks like: the concept vocabularies and patterns the boilerplate scorer uses.

Vocabularies are *concepts* (social networks, interface words, credits, legal footers,
publication stamps) in the languages of the crawl, matched as whole-line shapes ("every word
of this short line is an interface word"), never as exact phrases seen in one page. All
patterns are compiled once at import.
"""

from __future__ import annotations

import re

# Social networks and sharing verbs: a line made only of these is a share/follow widget.
SOCIAL_CORE = frozenset(
    """
    facebook twitter linkedin pinterest reddit whatsapp telegram instagram youtube tiktok tumblr
    flipboard messenger snapchat mastodon threads bluesky vk vkontakte weibo wechat line xing
    email mail print share shares sharing tweet retweet pin copy sms rss feed follow like
    google googleplus plus teilen drucken partager imprimer compartir imprimir condividi stampa
    delen udostępnij drukuj поделиться bookmark bookmarks save saved whatsapp compartilhar
    condivisioni comparte partagez teile
    """.split()
)
SOCIAL_FILLER = frozenset(
    """
    on us this the article story page post link url via to with and or in of our a an x me now
    it by for de sur auf per en a em na w na в en el la le les die der das den diesen artikel
    article seite página pagina articolo later friend friends url en su on auf via
    """.split()
)

# Interface words that are never a heading: ad markers, widget and account controls.
UI_STRONG = frozenset(
    """
    advertisement advert ads sponsored promoted anzeige werbung publicité publicidad pubblicità реклама
    anuncio anuncios publicidade reklama annonse annons mainos advertentie διαφήμιση 广告 広告 광고
    menu skip loading toggle login logout subscribe newsletter weiterlesen menü sign log close
    """.split()
)
# Interface words of site navigation, players, ads and account widgets.
UI_WORDS = frozenset(
    """
    live audio only video videos watch listen podcast podcasts advertisement advert ad ads sponsored
    promoted anzeige werbung publicité publicidad pubblicità реклама read more menu home homepage
    search close skip content main navigation nav loading next previous prev back top subscribe
    subscription subscribers sign log login logout register newsletter newsletters related
    articles stories trending most popular viewed shared breaking news updated min mins minute
    minutes gallery photos photo slideshow toggle open expand collapse show hide all view comments
    comment continue reading click here tap swipe scroll free trial account my profile settings
    edition language opinion sections section topics topic tags tag categories category archive
    archives latest world politics business sport sports tech technology science health
    entertainment culture lifestyle travel weather markets local national international video
    shop contact about careers jobs faq help privacy terms cookies accessibility sitemap
    feedback donate support up in out to of the for and your now today more weiterlesen mehr
    lesen zurück startseite suche anmelden abonnieren lire la suite accueil recherche plus
    connexion abonnez vous leer más ver inicio buscar suscríbete leggi altro cerca accedi
    page pages of back tv radio rss español deutsch français english podcasts menü go
    anuncio anuncios publicidade reklama annonse annons mainos advertentie διαφήμιση 广告 広告 광고
    """.split()
)

_COMMENT_WORDS = (
    r"(?:comments?|replies|reply|responses?|discussion|conversation|kommentare?n?|commentaires?|"
    r"comentarios?|commenti|commento|komentarz[ey]?|комментари[йяи]\w*)"
)
# Comment prompts and counters, by shape: the comment word opens the line ("Comments (4)"),
# follows a count or a UI verb ("12 comments", "Leave a reply", "Join the discussion"), or closes
# a short "... with no comments". "He declined to comment." matches none of these.
COMMENT = re.compile(
    rf"^\W*{_COMMENT_WORDS}\b"
    rf"|^\W*(?:\d[\d,.]*[km]?|no|leave|add|post|write|view|show|hide|load|read|see|join|open|close|be the first to)\b"
    rf"(?:\s+\w+){{0,3}}\s+{_COMMENT_WORDS}\b"
    rf"|\b(?:\d+|no)\s+{_COMMENT_WORDS}\W*$",
    re.I,
)
# Engagement counters: a number and the unit it counts ("1,204 views", "Views: 1,204", "1 of 12").
COUNT_UNITS = frozenset(
    """
    views view likes like shares share reads read comments comment replies votes points followers
    subscribers of von de sur aufrufe vues visitas visualizzazioni просмотров просмотры
    """.split()
)
# Newsletter / subscription / app prompts (any wording): one of these concepts in a short line.
PROMPT_WORDS = frozenset(
    """
    newsletter newsletters inbox subscribe subscribed subscription subscribers signup unsubscribe
    abonnieren abonnez abonnement abonnements suscríbete suscribirse suscripción boletín iscriviti
    abbonati подписаться подпишитесь рассылка app apps download login
    """.split()
)
# Taxonomy labels that open a tag list ("Tags: a, b", "Filed under: x").
TAG_LABEL = re.compile(
    r"^\W{0,3}(?:tags?|topics?|categor(?:y|ies)|keywords?|filed under|more on|themen|schlagwörter|"
    r"stichworte|étiquettes|mots-clés|thèmes|etiquetas|temas|argomenti|tagi|теги|темы|рубрики)\s*[:|]",
    re.I,
)
# Inline menus: 3+ short items separated by | · • on one line.
INLINE_SEP = re.compile(r"\s+[|·•]\s+|\s*\|\s*")
COUNTER = re.compile(r"^[\W\d_]*\d[\d\s.,:+kKmM%()\[\]|/-]*$")
CREDIT = re.compile(
    r"(?:^|[|/(\[–—•·-]\s*|\s)(?:photo|photos|photograph|image|images|picture|pic|foto|fotos|bild|"
    r"credit|credits|illustration|graphic|graphics|video|source|quelle|crédit|crédits|fuente|"
    r"фото|imagen|immagine)\s*(?:by|courtesy|credit|:|©|-|–)\s*\S"
    # Agencies at the end of a line, in their own spelling ("(ePA)" is a German acronym, not EPA).
    r"|\b(?-i:Getty\s*Images|GETTY\s*IMAGES|Shutterstock|iStock(?:photo)?|Alamy|AP\s+Photo|AFP|Reuters|REUTERS|"
    r"EPA(?:-EFE)?|dpa|DPA|Xinhua|XINHUA|Associated\s+Press|Anadolu|picture[- ]alliance|Keystone|KEYSTONE|"
    r"Imago|IMAGO)\b\s*[)\]]?\s*$",
    re.I,
)
CREDIT_PAREN = re.compile(
    r"[(\[]\s*(?:photo|image|picture|pic|foto|bild|credit|source|quelle|фото)\b[^)\]]{0,80}[)\]]\s*$", re.I
)
COPYRIGHT = re.compile(
    r"©|\(c\)\s*(?:19|20)\d\d|\bcopyright\s*(?:\(c\)\s*)?(?:19|20)\d\d|all rights reserved|alle rechte vorbehalten|"
    r"tous droits réservés|todos los derechos reservados|tutti i diritti riservati|"
    r"wszelkie prawa zastrzeżone|все права защищены",
    re.I,
)
LEGAL = re.compile(
    r"\bcookies?\b.{0,80}\b(?:use|uses|using|accept|policy|consent|settings|preferences|experience|"
    r"einstellungen|akzeptieren|utilis|acept|accett)|privacy policy|terms of (?:use|service)|"
    r"datenschutz|politique de confidentialité|política de privacidad|nutzungsbedingungen",
    re.I,
)
# Teasers and calls to action: a prefix that, followed by a separator, introduces a link
# ("Read more: ...", "Related | ...", "ALSO READ - ..."); the STRONG ones are chrome even alone.
CTA_PREFIX = re.compile(
    r"^\W{0,3}(?:read more|read also|also read|read next|see also|related|recommended|more from|"
    r"more on this|you may also like|you might also like|don'?t miss|most read|must read|trending|"
    r"watch|listen|click here|sign up|subscribe|download|get the app|follow us|join us|"
    r"mehr zum thema|lesen sie auch|auch interessant|weiterlesen|lire aussi|à lire aussi|voir aussi|"
    r"lee también|leer más|te puede interesar|leggi anche|czytaj także|читайте также)\b"
    r"(?P<sep>\s*[:|»›>–—-])?",
    re.I,
)
CTA_STRONG = re.compile(
    r"^\W{0,3}(?:read also|also read|click here|you may also like|you might also like|don'?t miss|"
    r"lesen sie auch|lire aussi|à lire aussi|lee también|leggi anche|czytaj także|читайте также)\b",
    re.I,
)
# Program code and markup keep their own punctuation; chrome never has it.
CODE_LIKE = re.compile(r"[{};=`]|^\s*#|\w\(|:\s*$|['\"],$")
# Prices and amounts are listing/product content, not counters.
CURRENCY = re.compile(r"[$€£¥₩₹₽]|\b(?:usd|eur|gbp|chf)\b", re.I)
PUBLISHED = re.compile(
    r"^\W{0,3}(?:published|posted|updated|last updated|first published|last modified|modified|"
    r"date|dated|publié|mis à jour|veröffentlicht|aktualisiert|stand|publicado|actualizado|"
    r"pubblicato|aggiornato|opublikowano|опубликовано|обновлено)\b\s*(?:on|at|am|le|el|il|:|-|–)?\s*",
    re.I,
)
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|"
    "september|oct|october|nov|november|dec|december|januar|februar|märz|mai|juni|juli|oktober|"
    "dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
MONTH_NUM = {
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    "sept": 9, "januar": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10,
    "dezember": 12, "janvier": 1, "février": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "enero": 1,
    "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
DATE_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
DATE_DMY = re.compile(rf"\b(\d{{1,2}})\.?\s+({_MONTHS})\.?,?\s+((?:19|20)\d\d)\b", re.I)
DATE_MDY = re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I)
DATE_NUM = re.compile(r"\b\d{1,2}[./]\d{1,2}[./](?:19|20)?\d\d\b")
TIME = re.compile(r"\b\d{1,2}[:.h]\d\d\s*(?:am|pm|a\.m\.|p\.m\.|uhr|gmt|utc|et|edt|est|bst|cet|cest)?\b", re.I)
# A line made only of date/time pieces and separators.
DATE_ONLY = re.compile(
    rf"^\W*(?:(?:{_MONTHS}|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|"
    rf"saturday|sunday|am|pm|gmt|utc|et|edt|est|uhr|at|um|à|today|yesterday|heute|gestern|hier|aujourd'hui|"
    rf"hoy|ayer|oggi|ieri|сегодня|вчера|\d+(?:st|nd|rd|th)?)[\s.,:/|–-]*)+\W*$",
    re.I,
)
COPYRIGHT_WORD = re.compile(r"\bcopyright\b|\burheberrecht|\bderechos de autor", re.I)
# Separators of breadcrumb trails ("News > Iraq", "Home » World » Europe", "Home / News").
BREADCRUMB_SEP = re.compile(r"\s(?:>|»|›|→|/|>>)\s|^(?:>|»)\s")
# Leading metadata prefix like " date 2021-12-30 " at the start of a text, possibly followed by
# the first paragraph on the same line.
META_PREFIX = re.compile(
    r"^\s*(?:date|published|posted|datum|fecha|data)\s*[:=]?\s*((?:19|20)\d\d-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d)?Z?)?)\s*",
    re.I,
)


def parse_date(text: str) -> str | None:
    """The first unambiguous date in `text` as ISO yyyy-mm-dd (numeric d/m/y is left alone)."""
    m = DATE_ISO.search(text)
    if m:
        return m.group(0)
    m = DATE_DMY.search(text)
    if m:
        mon = MONTH_NUM.get(m.group(2).lower()[:3]) or MONTH_NUM.get(m.group(2).lower())
        if mon:
            return f"{m.group(3)}-{mon:02d}-{int(m.group(1)):02d}"
    m = DATE_MDY.search(text)
    if m:
        mon = MONTH_NUM.get(m.group(1).lower()[:3]) or MONTH_NUM.get(m.group(1).lower())
        if mon:
            return f"{m.group(3)}-{mon:02d}-{int(m.group(2)):02d}"
    return None


def has_date(text: str) -> bool:
    return bool(DATE_ISO.search(text) or DATE_DMY.search(text) or DATE_MDY.search(text) or DATE_NUM.search(text))


# Cheap token gates: a pattern family is only tried on lines holding one of its words.
CREDIT_HINT = frozenset(
    """
    photo photos photograph image images picture pic foto fotos bild credit credits illustration
    graphic graphics video source quelle crédit crédits fuente фото imagen immagine getty
    shutterstock istock istockphoto alamy ap afp reuters epa dpa xinhua associated anadolu
    keystone imago courtesy alliance
    """.split()
)
COPYRIGHT_HINT = frozenset(
    "copyright rights reserved vorbehalten réservés reservados riservati zastrzeżone защищены urheberrecht derechos c".split()
)
LEGAL_HINT = frozenset("cookie cookies privacy terms datenschutz confidentialité privacidad nutzungsbedingungen".split())
COMMENT_PREFIXES = ("comment", "kommentar", "komentarz", "комментари", "coment", "repl", "respons", "discussion", "conversation")


# ---------------------------------------------------------------- reader-facing page furniture
# Concepts of the page talking to its reader rather than about its topic: bylines and roles,
# relative times and reading/listening durations, account / app / audio / reading prompts,
# consent buttons, affiliate disclosures. Matched as line shapes, in the crawl's languages.

# A time span: "4 min", "2 hours", "vor 3 Stunden", "il y a 5 heures", "6:42".
_TIME_UNIT = (
    r"(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|"
    r"sek\w*|minuten?|stunden?|std|tagen?|wochen?|minutos?|horas?|d[ií]as?|semanas?|heures?|jours?|"
    r"minuti|minuto|ore|ora|giorni|minuty|minut|godzin\w*|dni|мин\w*|час\w*|дн\w*|сек\w*)"
)
DURATION = re.compile(rf"(?:\b|^)\d+\s*{_TIME_UNIT}\b\.?|\b\d{{1,2}}:\d\d\b", re.I)
# Words that turn a duration into page metadata: "ago", "read", "listen", reading time...
DURATION_CONTEXT = frozenset(
    """
    ago read reading listen listening audio watch video updated posted published
    vor lesezeit lesedauer hördauer aktualisiert lecture écoute hace lectura actualizado
    fa lettura temu czytania назад чтения
    """.split()
)
# Bylines: "By Jane Doe", "Von Jane Doe", "Par ...", "Written by ...", "Reporting by ...".
BYLINE = re.compile(
    r"^\W{0,3}(?i:(?:written|words|reporting|text|story|report|edited|interview)\s+by|by|von|par|por|di|door|"
    r"av|af|przez|texto|texte|text|автор|текст)\s*:?\s+[A-ZÀ-ÝА-Я][\w'’.-]*(?:\s+[A-ZÀ-ÝА-Я][\w'’.-]*){0,3}"
    r"\s*(?:$|[|·•,;—–-]|(?i:and|und|et|y|e|with)\s)"
)
# Newsroom roles: a short line naming one is a byline / author box, not story text.
ROLE_WORDS = frozenset(
    """
    reporter reporters correspondent correspondents journalist journalists editor editors columnist
    columnists contributor contributors writer writers staff freelance desk newsroom
    journaliste journalistes rédacteur rédactrice correspondant correspondante chroniqueur
    redakteur redakteurin korrespondent korrespondentin autor autorin journalistin
    periodista periodistas redactor redactora corresponsal columnista giornalista redattore
    corrispondente dziennikarz dziennikarka korespondent журналист корреспондент редактор обозреватель
    author auteur auteure autora
    """.split()
)
# What an author box says about its author: "is a ...", "writes about", "covers", "based in".
BIO_VERB = re.compile(
    r"\b(?:is|was|has been|writes|wrote|covers|covering|reports|reported|based|joined|est|était|écrit|couvre|"
    r"ist|war|schreibt|berichtet|es|fue|escribe|cubre|è|scrive|jest|pisze|является|пишет)\b",
    re.I,
)
# The reader's relation to the site: accounts, access, apps, mail, audio, reading on.
INTERACT_WORDS = frozenset(
    """
    subscribe subscriber subscribers subscription subscriptions member members membership account
    register registration login log sign signin signup unlock unlimited access paywall premium trial
    app apps download install ios android iphone ipad email mailbox inbox newsletter newsletters
    briefing alerts notifications listen hear audio podcast play article articles story stories
    reading continue keep free limit digital
    abo abonnieren abonnent abonnenten konto anmelden registrieren kostenlos kostenlose kostenloses
    kostenlosen zugang herunterladen artikel anhören weiterlesen kontingent
    abonnez abonné abonnés abonnement compte connectez inscrivez inscription gratuit gratuite gratuitement
    accès application télécharger écouter lecture lire poursuivre
    suscríbete suscriptor suscriptores suscripción cuenta regístrate gratis gratuita gratuito acceso
    aplicación descarga descargar artículo escuchar lectura leer boletín
    abbonati abbonamento registrati accedi gratuito gratuita ascolta articolo
    subskrypcja zaloguj aplikacja pobierz posłuchaj artykuł
    подписка подписаться приложение скачать слушать статья статью
    """.split()
)
# Interaction words that on their own make a short line a prompt (not "story", "free", "read").
INTERACT_STRONG = frozenset(
    """
    subscribe subscriber subscribers subscription member membership login signin signup register
    registration unlock paywall app apps download install newsletter newsletters inbox mailbox listen
    hear audio account email briefing
    abo abonnieren abonnent konto anmelden registrieren herunterladen anhören weiterlesen
    abonnez abonné abonnement connectez inscrivez télécharger écouter suscríbete suscriptor
    regístrate descarga descargar escuchar abbonati registrati ascolta zaloguj pobierz posłuchaj
    подписаться скачать слушать
    """.split()
)
# Consent and dialog buttons ("Accept all", "Alle akzeptieren", "Tout refuser").
CONSENT_WORDS = frozenset(
    """
    accept accepter akzeptieren aceptar accetta accetto aceitar zaakceptuj принять agree agreed ok okay
    reject refuse refuser ablehnen rechazar rifiuta recusar odrzuć отклонить decline deny
    manage preferences settings customise customize options einstellungen anpassen paramétrer
    personnaliser configurar gestionar préférences preferencias
    all alle tout tous toutes todas todos tutti tutto wszystkie все cookies cookie and und et y e und
    necessary only nur seulement solo essential
    """.split()
)
CONSENT_CORE = frozenset(
    "accept accepter akzeptieren aceptar accetta accetto aceitar zaakceptuj принять agree reject refuse refuser "
    "ablehnen rechazar rifiuta recusar odrzuć отклонить decline deny cookie cookies manage verwalten gérer "
    "gestionar".split()
)
# App store badges ("Get it on Google Play", "Download on the App Store").
STORE_BADGE = re.compile(r"\b(?:google play|play store|app store|appgallery|app gallery)\b", re.I)
RELATIVE = re.compile(r"\b(?:ago|il y a|hace|vor|fa|temu|назад)\b", re.I)
# Words of recommendation teasers ("Related:", "More coverage →", "Te recomendamos:").
RECOMMEND_WORDS = frozenset(
    """
    related recommended recommend recommends coverage also more further latest keep reading read
    recomendamos recomendado recomendada relacionado relacionada también más leer
    empfohlen empfehlen auch mehr weitere dazu lire également aussi plus voir recommandé
    consigliato consigliati anche leggi più polecamy zobacz także więcej рекомендуем также ещё читайте
    """.split()
)
TEASER = re.compile(r"^\W{0,3}(?P<label>[^\W\d_][\w'’ ]{0,30}?)\s*(?::|→|»|›|\||–|—|>>|-)\s+\S")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
QUOTES = frozenset('"“”„«»')
# Affiliate / commerce disclosures.
AFFILIATE = re.compile(
    r"\baffiliate\b|\bcommission\b.{0,60}\b(?:links?|purchases?|buy|sales?)|\b(?:links?|purchases?|buy)\b.{0,60}\bcommission\b|"
    r"\bpartnerlinks?\b|\bprovision\b.{0,40}\blinks?|\bamazon[- ]?(?:partner|associate)|\bliens? (?:d'affiliation|affiliés?)|"
    r"\benlaces? de afiliad|\blink (?:di )?affiliazione",
    re.I,
)
# Publication disclaimers: "Prices correct at the time of publishing", "as of the time of writing".
DISCLAIMER = re.compile(
    r"\b(?:at|as of) the time of (?:publishing|publication|writing|going to press|posting)\b|"
    r"\bzum zeitpunkt der (?:veröffentlichung|erstellung)|\bau moment de la (?:publication|rédaction)|"
    r"\ben el momento de (?:la )?(?:publicación|publicar|redactar)",
    re.I,
)
# Lines about the page itself ("this article", "cet article", "dieser Artikel").
SELF_REF = re.compile(
    r"\b(?:this|these)\s+(?:article|story|post|page|site|website|piece|report)s?\b|"
    r"\b(?:dies(?:er|en|em|e)?|diese[rn]?)\s+(?:artikel|beitrag|seite|website)\b|"
    r"\b(?:cet|cette|ces)\s+(?:article|page|site)s?\b|\b(?:este|esta)\s+(?:artículo|página|sitio|nota)\b|"
    r"\b(?:questo|questa)\s+(?:articolo|pagina|sito)\b|\bten\s+artykuł\b|\bэт(?:а|у|ой|от)\s+(?:стать\w*|страниц\w*)",
    re.I,
)
# Picture credit labels in many languages ("Zdjęcie:", "Bildquelle:", "Crédito da imagem:").
CREDIT_LABEL = re.compile(
    r"^\W{0,3}(?i:(?:[\w'’]+\s+){0,3}?(?:photos?|photograph\w*|images?|imagen|imagem|immagine|pictures?|pics?|foto\w*|"
    r"bild\w*|zdjęci\w*|fot\.|kuva|billede|φωτ\w*|фото\w*|снимок|写真|图片|credits?|crédits?|crédito|credito|"
    r"quelle|fuente|fonte|źródło|источник|illustration|ilustración|grafik|gráfico)"
    r"(?:\s+(?:de|da|del|di|by|par|von)(?:\s+\w+){0,2})?)\s*[:©]\s*[A-ZÀ-ÝА-Я©]",
)
# Function words allowed in a short interface heading ("Lo más leído", "Les plus lus").
STOPWORDS_SHORT = frozenset("the a of on in to lo la las los les le el de des du der die das now right here".split())
