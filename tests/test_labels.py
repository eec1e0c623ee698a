from secnews import labels


def test_labels_are_defined_once_and_described():
    assert labels.THREATS == tuple(labels.THREAT_DESCRIPTIONS)
    assert labels.STANCES == ("cooperative", "contentious", "neutral")
    assert len(set(labels.THREATS)) == 6
    assert all(len(d.split()) >= 8 for d in labels.THREAT_DESCRIPTIONS.values())
