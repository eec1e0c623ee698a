import json

from secnews.results import ArticlePrediction, Prediction


def make(stance_scores, threats=("drug_trafficking",)):
    return Prediction(
        text="t",
        threats=list(threats),
        threat_scores={"drug_trafficking": 0.9, "fuel_theft": 0.1},
        stance=max(stance_scores, key=stance_scores.get),
        stance_scores=stance_scores,
    )


def test_cooperation_is_cooperative_minus_contentious():
    p = make({"cooperative": 0.7, "contentious": 0.2, "neutral": 0.1})
    assert abs(p.cooperation - 0.5) < 1e-9
    assert make({"cooperative": 0.0, "contentious": 1.0, "neutral": 0.0}).cooperation == -1.0


def test_to_dict_is_json_safe_and_complete():
    p = make({"cooperative": 0.2, "contentious": 0.3, "neutral": 0.5})
    d = json.loads(json.dumps(p.to_dict()))
    assert d["threats"] == ["drug_trafficking"] and d["stance"] == "neutral"
    assert set(d) == {"text", "threats", "threat_scores", "stance", "stance_scores", "cooperation"}


def test_article_dict_nests_passages():
    p = make({"cooperative": 0.6, "contentious": 0.1, "neutral": 0.3})
    a = ArticlePrediction(passages=[p, p], threats=p.threats, threat_scores=p.threat_scores,
                          stance=p.stance, stance_scores=p.stance_scores, text="t\n\nt")
    d = json.loads(json.dumps(a.to_dict()))
    assert len(d["passages"]) == 2 and d["stance"] == "cooperative"
    assert abs(d["cooperation"] - 0.5) < 1e-9
