"""Short, realistic news paragraphs in languages the legacy encodings are made for.

The benchmark sets are almost all Latin-script, so the re-encoding test needs Russian (cp1251,
koi8-r), Japanese (shift_jis), Chinese (gb2312) and Western European (cp1252, latin-1) text.
Written for this benchmark (not copied from anywhere); documents are built from random subsets
of the paragraphs so every sample differs.
"""

from __future__ import annotations

PARAGRAPHS: dict[str, list[str]] = {
    "ru": [
        "Правительство объявило в четверг о завершении переговоров с международными партнёрами. По словам министра, соглашение вступит в силу в начале следующего года.",
        "Жители города жалуются на рост цен на продукты и коммунальные услуги. Местные власти пообещали рассмотреть вопрос о дополнительной поддержке пенсионеров.",
        "Сильный снегопад парализовал движение на нескольких федеральных трассах. Спасатели эвакуировали водителей, застрявших в пробках на ночь.",
        "Учёные из Новосибирска представили новый метод очистки воды, который, по их данным, вдвое дешевле существующих технологий.",
        "В финале турнира хозяева поля уступили гостям со счётом два один. Тренер команды заявил, что доволен игрой молодых футболистов.",
    ],
    "ja": [
        "政府は木曜日、国際的なパートナーとの交渉が終了したと発表した。大臣によると、合意は来年初めに発効する見通しだ。",
        "市内では食料品や公共料金の値上がりに対する不満が広がっている。市は高齢者への追加支援を検討すると約束した。",
        "大雪の影響で複数の高速道路が通行止めとなり、救助隊が夜通し立ち往生した運転手を避難させた。",
        "研究チームは新しい水の浄化方法を開発したと発表した。従来の技術に比べて費用はおよそ半分になるという。",
        "決勝戦ではアウェーのチームが二対一で勝利した。監督は若い選手たちの活躍に満足していると述べた。",
    ],
    "zh": [
        "政府周四宣布，与国际合作伙伴的谈判已经结束。部长表示，该协议将于明年年初生效。",
        "市民对食品和公用事业价格上涨表示不满。地方政府承诺将研究为老年人提供额外补贴的问题。",
        "强降雪导致多条高速公路交通中断，救援人员连夜疏散了被困在车流中的司机。",
        "研究人员介绍了一种新的水净化方法，据称其成本比现有技术低一半。",
        "在决赛中，客队以二比一战胜主队。主教练表示对年轻球员的表现感到满意。",
    ],
    "de": [
        "Die Regierung hat am Donnerstag das Ende der Verhandlungen mit den internationalen Partnern bekannt gegeben. Nach Angaben des Ministers soll das Abkommen Anfang nächsten Jahres in Kraft treten.",
        "Die Bürger der Stadt beklagen steigende Preise für Lebensmittel und Nebenkosten. Die Behörden versprachen, zusätzliche Hilfen für Rentner zu prüfen.",
        "Heftiger Schneefall hat den Verkehr auf mehreren Autobahnen lahmgelegt. Rettungskräfte holten über Nacht Fahrer aus ihren Fahrzeugen.",
        "Forscher aus München stellten ein neues Verfahren zur Wasseraufbereitung vor, das nach ihren Angaben nur halb so viel kostet wie bisherige Techniken.",
    ],
    "fr": [
        "Le gouvernement a annoncé jeudi la fin des négociations avec ses partenaires internationaux. Selon le ministre, l'accord entrera en vigueur au début de l'année prochaine.",
        "Les habitants se plaignent de la hausse des prix de l'alimentation et de l'énergie. La mairie a promis d'étudier une aide supplémentaire pour les retraités.",
        "De fortes chutes de neige ont paralysé la circulation sur plusieurs autoroutes. Les secours ont évacué pendant la nuit des conducteurs bloqués.",
        "Des chercheurs lyonnais ont présenté une nouvelle méthode d'épuration de l'eau, deux fois moins coûteuse que les techniques actuelles.",
    ],
    "es": [
        "El Gobierno anunció el jueves el final de las negociaciones con sus socios internacionales. Según el ministro, el acuerdo entrará en vigor a principios del próximo año.",
        "Los vecinos se quejan de la subida de los precios de los alimentos y de la electricidad. El ayuntamiento prometió estudiar ayudas adicionales para los jubilados.",
        "Una intensa nevada paralizó el tráfico en varias autopistas. Los equipos de rescate evacuaron durante la noche a los conductores atrapados.",
        "Investigadores de Sevilla presentaron un nuevo método de depuración del agua que, según ellos, cuesta la mitad que las técnicas actuales.",
    ],
}

# Which languages each legacy encoding is used for.
ENCODING_LANGS: dict[str, list[str]] = {
    "cp1252": ["de", "fr", "es", "en"],
    "latin-1": ["de", "fr", "es", "en"],
    "cp1251": ["ru"],
    "koi8-r": ["ru"],
    "shift_jis": ["ja"],
    "gb2312": ["zh"],
    "utf-16": ["ru", "ja", "zh", "de", "fr", "es", "en"],
}
