"""Generators of injected page chrome and spam, in two disjoint groups of template families.

`TUNE` families are what the line stages were developed against; `HOLDOUT` families use other
wording, layouts, languages and concepts and were not used to tune anything: the evaluation
reports both (and a third, BLIND group) so over-fitting to our own templates shows. Every generator takes an
`random.Random` and returns the lines of one injected block.
"""

from __future__ import annotations

import random
from typing import Callable

SITES = ["dailyherald", "metro-news", "the-courier", "globalpost", "westside", "newsline24", "cityobserver"]
TLDS = ["com", "net", "org", "info", "biz", "co.uk", "ru", "xyz", "shop", "online"]
NAMES = ["Jane Doe", "Ahmed Karimi", "Lucia Fernández", "Tom Becker", "Mei Chen", "Olu Adeyemi", "Sara Nilsson"]
AGENCIES = ["AP", "Reuters", "AFP", "Getty Images", "EPA", "Shutterstock", "dpa", "Anadolu Agency", "Xinhua"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def _url(r: random.Random, words: list[str]) -> str:
    host = "-".join(r.sample(words, 2)) + str(r.randint(1, 99)) + "." + r.choice(TLDS)
    path = "/".join(r.sample(["wp-content", "uploads", str(r.randint(2015, 2024)), "p", "go", "offer", "item", "ref"], r.randint(0, 3)))
    scheme = r.choice(["https://", "http://", "https://www.", "www.", ""])
    return f"{scheme}{host}/{path}" if path else f"{scheme}{host}"


def _date(r: random.Random) -> str:
    d, m, y = r.randint(1, 28), r.choice(MONTHS), r.randint(2015, 2024)
    return r.choice([f"{d} {m} {y}", f"{m} {d}, {y}", f"{y}-{MONTHS.index(m) + 1:02d}-{d:02d}", f"{m[:3]} {d}, {y}"])


def _bullet(r: random.Random, items: list[str]) -> list[str]:
    b = r.choice(["• ", "- ", "* ", "", "  • ", "▪ "])
    return [b + it for it in items]


# ---------------------------------------------------------------- TUNE families
def share_tune(r):
    nets = r.sample(["facebook", "twitter", "google plus", "Email", "WhatsApp", "LinkedIn", "Print"], r.randint(2, 5))
    return r.choice([_bullet(r, nets), ["Share this article"] + _bullet(r, nets), ["Share on " + nets[0].title()]])


def nav_tune(r):
    secs = r.sample(["News", "World", "Business", "Sport", "Politics", "Entertainment", "Tech", "Weather", "Markets", "Video"], r.randint(3, 7))
    return _bullet(r, secs)


def label_tune(r):
    return [r.choice(["Live", "Audio Only", "Advertisement", "Video", str(r.randint(2, 999)), "Watch Live", "Sponsored"])]


def credit_tune(r):
    a = r.choice(AGENCIES)
    return [r.choice([f"(Image: {a})", f"Photo: {a}", f"(Photo: {r.choice(NAMES)}/{a})",
                      f"Protesters gather outside the ministry on Monday. | Photo: {a}",
                      f"Image: {r.choice(NAMES)} / {a}"])]


def comment_tune(r):
    return [r.choice(["Post with no comments.", f"{r.randint(1, 300)} comments", "Leave a comment", "No comments yet", "Comments"])]


def footer_tune(r):
    site = r.choice(SITES).replace("-", " ").title()
    return [r.choice([f"© {r.randint(2010, 2024)} {site}. All rights reserved.", f"Copyright {r.randint(2010, 2024)} {site}",
                      f"© {site} {r.randint(2010, 2024)}"])]


def breadcrumb_tune(r):
    return [" > ".join(r.sample(["Home", "News", "World", "Iraq", "Europe", "Politics", "Business"], r.randint(2, 4)))]


def published_tune(r):
    return [r.choice(["Published ", "Updated ", "Posted on ", "Published: "]) + _date(r)]


def spam_tune(r):
    drug = r.choice(["cipro", "viagra", "cialis", "tramadol", "xanax", "amoxicillin"])
    game = r.choice(["casino", "poker", "slots", "roulette"])
    return [r.choice([
        f"buy {drug} online {_url(r, [drug, 'rx', 'meds', 'pharma'])} no prescription pharmacy",
        f"cheap {drug} {r.randint(10, 100)}mg order online {_url(r, [drug, 'pills', 'store'])}",
        f"best online {game} bonus {_url(r, [game, 'win', 'bet', 'lucky'])}",
        f"{game} online real money {_url(r, [game, 'play', 'jackpot'])} free spins",
    ])]


# ---------------------------------------------------------------- HOLDOUT families
def share_hold(r):
    nets = r.sample(["Facebook", "X", "Reddit", "Telegram", "Pinterest", "Copy link", "Flipboard", "Messenger"], r.randint(2, 5))
    return [r.choice([f"Share: {' | '.join(nets)}", f"Follow us on {nets[0]}", " · ".join(nets),
                      f"Tweet {r.randint(1, 99)}", "Pin it", f"Teilen auf {nets[0]}", f"Partager sur {nets[0]}"])]


def nav_hold(r):
    secs = r.sample(["Opinion", "Culture", "Lifestyle", "Travel", "Science", "Health", "Local", "Menu", "Search", "Sign in",
                     "Podcasts", "Newsletters", "Obituaries", "Real Estate", "Jobs", "Autos"], r.randint(3, 6))
    return secs if r.random() < 0.5 else [" | ".join(secs)]


def cta_hold(r):
    head = r.choice(["Five things to know about the vote", "Markets rally as rates hold", "Inside the new stadium deal"])
    return [r.choice([f"Read more: {head}", "Sign up for our daily newsletter", "Download our app for the latest updates",
                      "Subscribe now", f"Related: {head}", f"ALSO READ | {head}", "Lesen Sie auch: Neue Regeln ab Montag",
                      "Click here to subscribe"])]


def legal_hold(r):
    return [r.choice(["This website uses cookies to ensure you get the best experience. Learn more",
                      "Privacy Policy | Terms of Use | Contact Us",
                      "We use cookies and similar technologies. By continuing you accept our cookie policy.",
                      "Alle Rechte vorbehalten.", "Tous droits réservés"])]


def credit_hold(r):
    a, n = r.choice(AGENCIES), r.choice(NAMES)
    return [r.choice([f"Credit: {n}/{a}", f"Picture by {n}", f"(Photo by {n}/{a} via Getty Images)", f"Foto: {a}",
                      f"Illustration: {n}", f"Source: {a}"])]


def meta_hold(r):
    return [r.choice([f"Updated: {r.randint(1, 12)}:{r.randint(10, 59)} AM ET, {_date(r)}", f"{r.randint(2, 12)} min read",
                      f"Last updated {_date(r)}", _date(r), f"Veröffentlicht am {r.randint(1, 28)}. März 2022"])]


def comment_hold(r):
    return [r.choice([f"Comments ({r.randint(0, 99)})", "Join the conversation", "Be the first to comment",
                      f"{r.randint(2, 80)} Kommentare", "View comments", f"{r.randint(1, 9)}.{r.randint(1, 9)}K"])]


def spam_hold(r):
    return [r.choice([
        f"Write my essay cheap - professional essay writing service {_url(r, ['essay', 'writers', 'paper'])}",
        f"Payday loans approved in minutes, bad credit OK: {_url(r, ['loan', 'cash', 'fast'])}",
        f"Replica Rolex and Louis Vuitton handbags 80% off at {_url(r, ['replica', 'luxury', 'outlet'])}",
        f"Earn ${r.randint(2, 9)}000 a week from home with bitcoin trading signals {_url(r, ['crypto', 'profit', 'coin'])}",
        "Looking for affordable essay help? Visit essayhub.example today for 20% off your first order.",
        f"Kredit ohne Schufa sofort beantragen: {_url(r, ['kredit', 'schnell', 'geld'])}",
        f"Купить дешево таблетки без рецепта {_url(r, ['apteka', 'tabletki', 'med'])}",
        "Cheap Ray-Ban sunglasses outlet, 80% off, free shipping, order now!",
        f"Hot singles in your area tonight - join free {_url(r, ['dating', 'meet', 'love'])}",
    ])]


# ---------------------------------------------------------------- BLIND families
# Written after the first evaluation run and never inspected line by line: only their aggregate
# removal rate is looked at, so they measure generalisation honestly.
def widget_blind(r):
    return [r.choice(["SHARE", "Email this page", "Print article", "Copy URL", "Save for later", "Bookmark",
                      "Compartir en WhatsApp", "Condividi su Facebook", "Поделиться в ВКонтакте"])]


def nav_blind(r):
    return [r.choice(["Accueil | Politique | Économie | Sport | Culture", "Inicio › Noticias › Internacional",
                      "Startseite > Panorama > Welt", "Home / Sport / Football", "Главная » Новости » Мир",
                      "Subscribe | Log in | Newsletters | Podcasts"])]


def counter_blind(r):
    return [r.choice([f"👍 {r.randint(1, 999)}", f"❤ {r.randint(1, 99)}", f"Views: {r.randint(1, 9)},{r.randint(100, 999)}",
                      f"{r.randint(1, 9)},{r.randint(100, 999)} views", f"{r.randint(1, 5)} of {r.randint(6, 20)}",
                      f"({r.randint(1, 500)})"])]


def tags_blind(r):
    return [r.choice(["Tags: Iraq, Coalition, Defence", "Topics: Politics; Economy; Europe", "Schlagwörter: Politik, Wirtschaft",
                      "Filed under: World News"])]


def credit_blind(r):
    return [r.choice([f"Photograph: {r.choice(NAMES)} for The Observer", f"© Reuters/{r.choice(NAMES)}", "Bild: Keystone",
                      f"(Photo credit should read {r.choice(NAMES).upper()}/AFP via Getty Images)", "Image courtesy of the ministry"])]


def newsletter_blind(r):
    return [r.choice(["Get the best stories delivered to your inbox", "Never miss a story — sign up free",
                      "Abonnez-vous à notre newsletter", "Suscríbete a nuestro boletín", "Jetzt Newsletter abonnieren"])]


def spam_blind(r):
    return [r.choice([
        f"Online Casino mit Bonus ohne Einzahlung: {_url(r, ['casino', 'bonus', 'spiel'])}",
        f"Casino en ligne fiable, jouez maintenant {_url(r, ['casino', 'jeu', 'gagner'])}",
        f"Best CBD gummies 2024 → {_url(r, ['cbd', 'shop', 'hemp'])}",
        f"Get 1000 Instagram followers for $5 {_url(r, ['followers', 'likes', 'boost'])}",
        f"Do my homework for me - 24/7 homework help at {_url(r, ['homework', 'help', 'tutor'])}",
        "代写论文 专业代写 微信 123456",
        f"Préstamos rápidos sin aval, dinero hoy {_url(r, ['prestamo', 'dinero', 'rapido'])}",
        f"cheap nike air max sale {_url(r, ['nike', 'airmax', 'cheap'])}",
    ])]


BLIND: dict[str, Callable[[random.Random], list[str]]] = {
    "widget": widget_blind, "nav": nav_blind, "counter": counter_blind, "tags": tags_blind, "credit": credit_blind,
    "newsletter": newsletter_blind, "spam": spam_blind,
}

TUNE: dict[str, Callable[[random.Random], list[str]]] = {
    "share": share_tune, "nav": nav_tune, "label": label_tune, "credit": credit_tune, "comment": comment_tune,
    "footer": footer_tune, "breadcrumb": breadcrumb_tune, "published": published_tune, "spam": spam_tune,
}
HOLDOUT: dict[str, Callable[[random.Random], list[str]]] = {
    "share": share_hold, "nav": nav_hold, "cta": cta_hold, "legal": legal_hold, "credit": credit_hold,
    "meta": meta_hold, "comment": comment_hold, "spam": spam_hold,
}
# Families that sit at the top / bottom of a page; the rest land between paragraphs.
TOP = {"share", "nav", "breadcrumb", "label", "published", "meta"}
BOTTOM = {"footer", "legal", "comment", "share", "cta", "tags", "newsletter", "widget"}


# ---------------------------------------------------------------- second round: TUNE2 / BLIND2
# Written on 2026-11-22 before any stage change of that round, in wording, languages and layouts
# absent from every template above and from the stage vocabularies. BLIND2 was measured once
# ("first look") before tuning and is never inspected line by line; TUNE2 covers the same chrome
# *classes* in different wording and is what that round tuned against.
def _name(r):
    return r.choice(["Priya Natarajan", "Jonas Lindqvist", "Amara Okafor", "Hélène Dubois", "Kenji Watanabe",
                     "Marta Ruiz", "Dmitri Volkov", "Grace O'Connell"])


def paywall_tune2(r):
    return [r.choice(["This article is for subscribers only", "Continue reading with a free account",
                      "Subscribe for unlimited digital access", "Get our evening briefing by email",
                      "Register to keep reading", "Unlock this story for 99p"])]


def app_tune2(r):
    return [r.choice(["Download the app for breaking news alerts", "Get it on Google Play",
                      "Our app is free on iPhone and Android", "Install the app"])]


def bio_tune2(r):
    n = _name(r)
    return [r.choice([f"{n} is a political reporter based in Washington.",
                      f"{n} covers health and science for the national desk.",
                      f"About the author: {n} has reported from the Middle East since 2010."])]


def byline_tune2(r):
    n = _name(r)
    return [r.choice([f"By {n}, {r.randint(2, 11)} hours ago", f"Updated {r.randint(2, 50)} minutes ago",
                      f"{n} · {_date(r)}", f"BY {n.upper()}", f"Written by {n}"])]


def audio_tune2(r):
    return [r.choice(["Listen to this story", f"Audio: {r.randint(2, 9)}:{r.randint(10, 59)}",
                      "Hear this article", "Play audio"])]


def popular_tune2(r):
    items = r.sample(["Markets slide on rate fears", "Ten photos of the week", "Mayor faces recall vote",
                      "Storm closes schools"], 3)
    return r.choice([["Most viewed"] + items, ["Popular now"], ["Top stories"] + items[:2], ["Trending now"]])


def readtime_tune2(r):
    return [r.choice([f"{r.randint(2, 12)} minute read", f"Estimated reading time: {r.randint(2, 9)} min",
                      f"Reading time {r.randint(2, 9)} minutes"])]


def credit_tune2(r):
    n = _name(r)
    return [r.choice([f"Photo: {n}/PAP", f"Foto: {n} / ANSA", f"Image: {n} for the Herald",
                      f"Photograph by {n}", f"Фото: {n}"])]


def cookie_tune2(r):
    return [r.choice(["Diese Website verwendet Cookies.", "Ce site utilise des cookies.",
                      "Este sitio web utiliza cookies.", "Accept all cookies", "Manage preferences"])]


def affiliate_tune2(r):
    return [r.choice(["We earn a commission for products purchased through some links in this article.",
                      "Disclosure: some links on this page are affiliate links.",
                      "Prices were accurate at the time of publishing."])]


def spam_tune2(r):
    return [r.choice([
        f"Fast cash loans for everyone, apply today {_url(r, ['quickcash', 'lend', 'money'])}",
        "Win big at the best new online casino, 200 free spins waiting",
        f"Generic ED meds shipped overnight {_url(r, ['meds', 'generic', 'ship'])}",
        "Plagiarism-free essays in 3 hours, order now",
        f"Crypto robot doubles your deposit daily {_url(r, ['crypto', 'robot', 'profit'])}",
        f"Kasyno online z bonusem bez depozytu {_url(r, ['kasyno', 'bonus', 'gra'])}",
        "Préstamo personal al instante sin papeleo, solicítalo ya",
    ])]


TUNE2: dict[str, Callable[[random.Random], list[str]]] = {
    "paywall": paywall_tune2, "app": app_tune2, "bio": bio_tune2, "byline": byline_tune2, "audio": audio_tune2,
    "popular": popular_tune2, "readtime": readtime_tune2, "credit": credit_tune2, "cookie": cookie_tune2,
    "affiliate": affiliate_tune2, "spam": spam_tune2,
}


def paywall_blind2(r):
    return [r.choice(["You have reached your limit of free articles this month",
                      "Enjoy unlimited access to our journalism for just $1 a week",
                      "Already a member? Log in here", "Sie haben Ihr kostenloses Kontingent aufgebraucht.",
                      "Créez un compte gratuit pour poursuivre votre lecture",
                      "Start your day with the headlines, straight to your mailbox",
                      "Get our free morning email"])]


def app_blind2(r):
    return [r.choice(["Get the Newsroom app on iOS and Android", "Available on the App Store",
                      "Scan the QR code to install our app", "Descarga nuestra aplicación gratuita",
                      "Jetzt die App herunterladen"])]


def bio_blind2(r):
    n = _name(r)
    return [r.choice([f"{n} is a senior correspondent covering energy and climate. Follow her on X @{n.split()[0].lower()}",
                      f"{n} writes about technology and labour for the business desk.",
                      f"{n} est journaliste au service politique.",
                      f"Contact the author: {n.split()[0].lower()}@newsdesk.example"])]


def byline_blind2(r):
    n = _name(r)
    return [r.choice([f"By {n}  |  Updated {r.randint(2, 9)} hours ago", f"Updated {r.randint(2, 59)} mins ago",
                      f"Von {n}, aktualisiert vor {r.randint(2, 9)} Stunden", f"Il y a {r.randint(2, 9)} heures",
                      f"Hace {r.randint(2, 9)} horas", f"{n} — Staff Writer"])]


def audio_blind2(r):
    return [r.choice(["Listen to this article", f"Listen · {r.randint(2, 9)}:{r.randint(10, 59)}",
                      "Artikel anhören", "Écouter cet article", f"Audio version: {r.randint(2, 9)} minutes"])]


def popular_blind2(r):
    return [r.choice(["Most read", "Most Popular Right Now", "Lo más leído", "Les plus lus", "Meistgelesen",
                      "Editor's picks"])]


def teaser_blind2(r):
    head = r.choice(["Oil prices slide as output climbs", "Why the bridge vote matters",
                     "la réforme des retraites expliquée", "qué cambia con la nueva ley"])
    return [r.choice([f"Related: {head}", f"MORE COVERAGE → {head}", f"Lire également : {head}",
                      f"Te recomendamos: {head}", f"Keep reading: {head}"])]


def readtime_blind2(r):
    return [r.choice([f"{r.randint(2, 12)} min read", f"Lesezeit: {r.randint(2, 9)} Minuten",
                      f"Temps de lecture : {r.randint(2, 9)} min", f"Tiempo de lectura: {r.randint(2, 9)} minutos"])]


def credit_blind2(r):
    n = _name(r)
    return [r.choice([f"Foto: {n} / EFE", "Crédito da imagem: Agência Brasil", f"Zdjęcie: PAP/{n}",
                      f"Photo : {n} / AFP", "Bildquelle: picture alliance", "Фото: ТАСС",
                      f"Imagen de archivo: {n}"])]


def cookie_blind2(r):
    return [r.choice(["Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten.",
                      "Nous utilisons des cookies pour améliorer votre expérience. Accepter / Refuser",
                      "Utilizamos cookies propias y de terceros. Aceptar todas", "Alle akzeptieren",
                      "Tout refuser"])]


def affiliate_blind2(r):
    return [r.choice(["We may earn a commission when you buy through links on this page.",
                      "This post contains affiliate links.",
                      "Als Amazon-Partner verdienen wir an qualifizierten Verkäufen.",
                      "Our journalists independently select every product we feature."])]


def spam_blind2(r):
    return [r.choice([
        f"Hoe win je bij online gokken? Bekijk de beste bonussen op {_url(r, ['gokwinst', 'bonus', 'spel'])}",
        "Need cash fast? Instant approval personal loans, apply in 2 minutes",
        "Ordina Viagra senza ricetta con consegna discreta",
        f"Custom research papers written by PhD experts – order today {_url(r, ['papers', 'phd', 'write'])}",
        "Turn $250 into $10,000 with our AI crypto robot",
        "Kup tanie tabletki odchudzające bez recepty",
        f"Apuesta en vivo y gana hasta 500€ de bono {_url(r, ['apuesta', 'gana', 'bono'])}",
        "Free spins no deposit UK 2024 – claim yours",
    ])]


BLIND2: dict[str, Callable[[random.Random], list[str]]] = {
    "paywall": paywall_blind2, "app": app_blind2, "bio": bio_blind2, "byline": byline_blind2, "audio": audio_blind2,
    "popular": popular_blind2, "teaser": teaser_blind2, "readtime": readtime_blind2, "credit": credit_blind2,
    "cookie": cookie_blind2, "affiliate": affiliate_blind2, "spam": spam_blind2,
}
TOP |= {"byline", "audio", "readtime", "paywall", "app"}
BOTTOM |= {"bio", "popular", "teaser", "affiliate", "cookie", "paywall", "app"}


# ---------------------------------------------------------------- BLIND3
# Written on 2026-11-22 AFTER the stage changes of the clean2 round, because BLIND2's wording was
# known to whoever wrote the new vocabularies (the same person): some of its words leaked into
# them, so BLIND2's after-change figure overstates generalisation. BLIND3 is measured once, in
# the final full run, and never tuned on.
def newsletter_blind3(r):
    return [r.choice(["Want more stories like this? Join 50,000 readers who get our Sunday digest.",
                      "Get the latest headlines sent to you every morning",
                      "Recevez chaque matin l'essentiel de l'actualité", "Ricevi la nostra newsletter settimanale"])]


def paywall_blind3(r):
    return [r.choice(["Support independent journalism — become a supporter today",
                      "This content is exclusive to premium members", "Sei già abbonato? Accedi",
                      "Para seguir leyendo, hazte socio"])]


def app_blind3(r):
    return [r.choice(["Read it in our app — faster and ad-free", "Baixe o aplicativo", "Scarica l'app gratuita"])]


def byline_blind3(r):
    return [r.choice([f"Posted {r.randint(2, 6)} days ago by Newsdesk", f"Zuletzt aktualisiert: vor {r.randint(2, 50)} Minuten",
                      f"Publié il y a {r.randint(2, 6)} jours", "Reporting by Tom Hale; Editing by Ana Ruiz",
                      "Words: Ella Stone · Pictures: Jo Park"])]


def media_blind3(r):
    return [r.choice([f"Watch: the moment the bridge opened ({r.randint(1, 4)}:{r.randint(10, 59)})",
                      "Press play to listen to this article", "Voiced by artificial intelligence."])]


def more_blind3(r):
    return [r.choice(["More from this section", "Also on our site", "Más noticias", "Weitere Artikel zum Thema",
                      "You might have missed"])]


def readtime_blind3(r):
    return [r.choice([f"Read time: {r.randint(2, 12)} mins", f"Leestijd {r.randint(2, 9)} minuten"])]


def credit_blind3(r):
    return [r.choice(["Ilustración: Marta Díaz", "Kuva: Lehtikuva", "Foto di Luca Bruni / LaPresse",
                      "Credit: Courtesy of the family"])]


def consent_blind3(r):
    return [r.choice(["We value your privacy", "Diese Seite nutzt Cookies. Mehr erfahren", "Gestionar consentimiento",
                      "Rifiuta tutti"])]


def sponsor_blind3(r):
    return [r.choice(["Sponsored by Acme Bank", "Paid partnership with Acme",
                      "This article was produced in partnership with the Acme Foundation.",
                      "Wenn Sie über diese Links einkaufen, erhalten wir eine Provision."])]


def social_blind3(r):
    return [r.choice(["Follow @citydesk for live updates", "Join our WhatsApp channel", "Síguenos en Instagram"])]


def spam_blind3(r):
    return [r.choice([
        "Best VPN deals 2025 – 70% off today only",
        "Casino Bonus ohne Einzahlung 2025 – jetzt sichern",
        "Buy Instagram likes cheap and instant",
        "Zarabiaj 5000 zł tygodniowo z domu",
        f"Chat with sexy singles now → {_url(r, ['flirt', 'zone', 'chat'])}",
        "Cheap Cialis 20mg – discreet delivery worldwide",
        "Get your essay written by experts in 6 hours",
        f"Quick loans up to $5,000 no credit check – apply online at {_url(r, ['fastloan', 'now', 'cash'])}",
    ])]


BLIND3: dict[str, Callable[[random.Random], list[str]]] = {
    "newsletter": newsletter_blind3, "paywall": paywall_blind3, "app": app_blind3, "byline": byline_blind3,
    "media": media_blind3, "more": more_blind3, "readtime": readtime_blind3, "credit": credit_blind3,
    "consent": consent_blind3, "sponsor": sponsor_blind3, "social": social_blind3, "spam": spam_blind3,
}
TOP |= {"media", "social"}
BOTTOM |= {"more", "consent", "sponsor", "social", "newsletter"}
