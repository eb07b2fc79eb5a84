"""Sanity checks for bench/heldout4 (articles, questions, unanswerable)."""
import json, re, sys, pathlib, datetime
import yaml

root = pathlib.Path(__file__).resolve().parent
arts = {}
ok = True
def bad(msg):
    global ok; ok = False; print("FAIL:", msg)

for p in sorted((root / "articles").glob("*.md")):
    text = p.read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    if not m: bad(f"{p.name}: no front matter"); continue
    fm = yaml.safe_load(m.group(1)); body = m.group(2)
    if list(fm) != ["title", "source", "published_at", "url"]: bad(f"{p.name}: keys {list(fm)}")
    pa = fm["published_at"]
    if isinstance(pa, str): pa = datetime.datetime.fromisoformat(pa.replace("Z", "+00:00"))
    slug = p.stem[11:]; date = p.stem[:10]
    if pa.strftime("%Y-%m-%d") != date: bad(f"{p.name}: date mismatch {pa}")
    if not re.fullmatch(rf"https://[a-z0-9.-]+\.example/{date.replace('-', '/')}/{re.escape(slug)}\.html", fm["url"]): bad(f"{p.name}: url {fm['url']}")
    n = len(body.split())
    if not 350 <= n <= 900: bad(f"{p.name}: {n} words")
    print(f"{p.name}: {n} words, title={fm['title']!r}")
    arts[p.name] = body

qs = [json.loads(l) for l in open(root / "questions.jsonl", encoding="utf-8")]
us = [json.loads(l) for l in open(root / "unanswerable.jsonl", encoding="utf-8")]
assert [q["id"] for q in qs] == [f"m{i:02d}" for i in range(1, 41)]
assert [q["id"] for q in us] == [f"mu{i:02d}" for i in range(1, 17)]
per_art = {}
for q in qs:
    assert set(q) == {"id", "question", "answer", "gold"} and q["gold"], q["id"]
    for entry in q["gold"]:
        for alt in entry.split(" || "):
            hits = [(a, b.count(alt)) for a, b in arts.items() if alt in b]
            if len(hits) != 1 or hits[0][1] != 1: bad(f"{q['id']}: {alt!r} hits={hits}")
            else: per_art.setdefault(hits[0][0], set()).add(q["id"])
            if len(alt.split()) < 6: bad(f"{q['id']}: short gold {alt!r}")
            # crude single-sentence check: no sentence end followed by a capital inside the gold
            if re.search(r"(?<!Dr)(?<!No)(?<!Mr)(?<!Ms)[.!?][”\"’]?\s+[A-Z“\"]", alt): bad(f"{q['id']}: gold may span sentences {alt!r}")
for a, ids in sorted(per_art.items()): print(a, sorted(ids))
print("questions", len(qs), "unanswerable", len(us))
print("OK" if ok else "PROBLEMS"); sys.exit(0 if ok else 1)
