"""AG_NEWS-format CSV -> tokenizer -> vocab -> transforms -> padded batches -> a tiny
EmbeddingBag classifier whose loss drops."""

import ember
from ember import nn
from ember.utils.data import DataLoader
from embertext import transforms as T
from embertext.data import get_tokenizer
from embertext.datasets import AG_NEWS
from embertext.vocab import build_vocab_from_iterator

TOPICS = {
    1: "the president met ministers of the government in the capital",
    2: "the team won the match and the players scored goals",
    3: "the shares of the company rose as the market and profits grew",
    4: "the new chip and software from the lab speed up computers",
}


def write_csv(path, n_per_class=6):
    lines = []
    for i in range(n_per_class):
        for label, text in TOPICS.items():
            words = text.split()
            title = " ".join(words[i % 3 :][:4])
            lines.append(f'"{label}","{title.title()}","{text}, again ({i})."\n')
    path.write_text("".join(lines), encoding="utf-8")


def test_train_text_classifier_on_ag_news_csv(tmp_path):
    (tmp_path / "AG_NEWS").mkdir()
    write_csv(tmp_path / "AG_NEWS" / "train.csv")
    train = AG_NEWS(root=str(tmp_path), split="train")

    tokenizer = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator(
        (tokenizer(text) for _, text in train), specials=["<pad>", "<unk>"]
    )
    vocab.set_default_index(vocab["<unk>"])
    text_transform = T.Sequential(
        T.VocabTransform(vocab), T.Truncate(12), T.ToTensor(padding_value=0)
    )

    def collate(batch):
        labels = ember.tensor([label - 1 for label, _ in batch])
        return labels, text_transform([tokenizer(text) for _, text in batch])

    loader = DataLoader(train, batch_size=8, collate_fn=collate)
    labels, tokens = next(iter(loader))
    assert tokens.dtype == ember.long and tokens.shape[0] == 8 and tokens.shape[1] == 12
    assert labels.tolist() == [0, 1, 2, 3, 0, 1, 2, 3]

    ember.manual_seed(0)

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.EmbeddingBag(len(vocab), 16, mode="mean", padding_idx=0)
            self.fc = nn.Linear(16, 4)

        def forward(self, tokens):
            return self.fc(self.embedding(tokens))

    model = Classifier()
    optimizer = ember.optim.SGD(model.parameters(), lr=0.5)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(15):
        total = 0.0
        for labels, tokens in loader:
            optimizer.zero_grad()
            loss = criterion(model(tokens), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total)
    assert losses[-1] < 0.5 * losses[0]
    predictions = model(tokens).argmax(dim=1)
    assert (predictions == labels).float().mean().item() == 1.0
