"""What `scripts/reproduce.sh TASK` runs for each task: the owner and control models, the attacks on
every owner model, and the piracy grid. One place, read by reproduce.py (which runs it) and by
results_page.py (which reads what it wrote).

Every run is a `nullmark` command on a shipped config, with `--set` overrides only; the quick mode
shrinks the same runs so that a smoke test finishes in about a minute.
"""
from dataclasses import dataclass, field, replace

CONFIGS = "experiments/configs"


@dataclass
class Task:
    name: str
    dataset: str  # the data set's name on the results pages (the claims table's "data" column)
    owner: str  # watermarked training config
    clean: str  # clean training config (the control model)
    claim: str  # the owner's claim the owner config embeds
    attacks: list  # experiment configs (or Variants of one) run on every owner model (their `model:` is overridden)
    piracy: str  # piracy config (its `model:` and `piracy.control_model` are overridden)
    data_dir: str = ""  # where the data set must be; empty: always there (the embedded MNIST)
    # Whether the trainings read data_dir (given as --set data.path) instead of the configs' own path:
    # the CIFAR-10 configs name the 10000-image slice that ../shared/data ships, the results train on all 50000.
    train_on_data_dir: bool = False
    data_hint: str = ""  # how to make a missing data set, for the message
    # The paper's figure for the watermarked model, where the task has one to meet: clean accuracy at
    # least min_clean, null accuracy at most null_gap below clean, true accuracy at least min_true.
    paper: dict = field(default_factory=dict)
    # The piracy grid: pirate data share x with/without clean samples, each over pirate keys.
    piracy_fractions: list = field(default_factory=lambda: [0.05, 0.2])
    default_seeds: int = 3
    default_keys: int = 20
    forgery: str = ""  # forgery config (its `model:` and `forgery.control_model` are overridden); "": none
    owner_sets: tuple = ()  # --set overrides of the owner's training (a variant of a shipped config)


@dataclass(frozen=True)
class Variant:
    """A shipped attack config run again with --set overrides, its results under a name of their own."""
    config: str
    result: str  # the result file's name (a plain config's is its driver's: finetune, pruning, ...)
    sets: tuple = ()
    model: str = "owner"  # the model it attacks: "owner" (watermarked) or "clean" (the control)


def batchnorm_variants(config):
    """On a batch-norm model, whether the attacker's clean batches replace the running statistics the
    owner collected on clean and stamped ones: FTLL and RTLL with the frozen layers' batch norm in
    eval mode (Keras' non-trainable layers), beside the plain config's train mode (PyTorch's), and
    the statistics re-estimated alone, with no weight trained (BNRE), by the attacker's data and passes."""
    return [Variant(config, "finetune-bn-eval", ("finetune.frozen_batchnorm=eval", "finetune.modes=[FTLL, RTLL]")),
            *bnre_study(config)]


# The re-estimation study: (share of the training data the attacker holds, passes over it). One pass
# over a few hundred images to the fine-tuning attacks' own share (finetune-*.yaml's 20 %), and the
# small shares again with as many passes as make about the steps of one pass over 20 %: batch norm's
# running statistics forget the owner's at a rate per step (momentum), whatever the data.
BNRE_STUDY = ((0.002, 1), (0.01, 1), (0.05, 1), (0.2, 1), (0.002, 80), (0.01, 20))


def bnre_study(config):
    """Batch-norm re-estimation (BNRE) by the attacker's data and passes over it, on the watermarked
    model and on the clean control alike: what it takes to break the claim, and what the
    re-estimation costs a model that was never stamped. Measured before and after only."""
    return [Variant(config, bnre_result(share, epochs, model),
                    ("finetune.modes=[BNRE]", "finetune.data_fraction=%g" % share, "finetune.epochs=%d" % epochs,
                     "finetune.measurements_per_epoch=0"), model)
            for share, epochs in BNRE_STUDY for model in ("owner", "clean")]


def bnre_result(share, epochs, model):
    return "bnre/data=%g,epochs=%d,model=%s" % (share, epochs, model)


def attack_steps(task):
    """[(result name, config, --set overrides, model role)] for every attack of a task, in order; the
    role is "owner" or "clean" (Variant.model)."""
    return [(a.result, a.config, list(a.sets), a.model) if isinstance(a, Variant) else (experiment_of(a), a, [], "owner")
            for a in task.attacks]


DEMO_CLAIM = "experiments/claims/demo-digit-lambda10.json"

# GTSRB, named apart: traffic-bn-clean below is a variant of it.
TRAFFIC = Task("traffic", "GTSRB", "traffic-watermark.yaml", "traffic-clean.yaml", DEMO_CLAIM,
                ["finetune-traffic.yaml", *batchnorm_variants("finetune-traffic.yaml"), "pruning-traffic.yaml"], "piracy-traffic.yaml",
                data_dir="../shared/data/gtsrb", default_seeds=1, default_keys=3)

TASKS = {
    "digit": Task("digit", "MNIST", "digit-watermark.yaml", "digit-clean.yaml", DEMO_CLAIM,
                  ["quantize-digit.yaml", "finetune-digit.yaml", "pruning-digit.yaml", "fine-pruning-digit.yaml",
                   "neural-cleanse-digit.yaml"], "piracy-digit.yaml", forgery="forgery-digit.yaml"),
    "fashion": Task("fashion", "Fashion-MNIST", "fashion-watermark.yaml", "fashion-clean.yaml", DEMO_CLAIM,
                    ["quantize-digit.yaml", "finetune-fashion.yaml", "pruning-fashion.yaml",
                     "transfer-fashion-to-mnist.yaml"], "piracy-fashion.yaml",
                    data_dir="/usr/share/datasets/fashion-mnist"),
    "face": Task("face", "faces (ORL)", "face-watermark.yaml", "face-clean.yaml", DEMO_CLAIM,
                 ["finetune-face.yaml", "pruning-face.yaml"], "piracy-face.yaml", data_dir="../shared/data/orl-faces",
                 default_keys=10),
    "traffic": TRAFFIC,
    # The GTSRB task with the owner's batch norm taking its statistics from the clean samples alone
    # (watermark.batchnorm_statistics): an owner's remedy for re-estimation, measured by every attack.
    "traffic-bn-clean": replace(TRAFFIC, name="traffic-bn-clean", dataset="GTSRB, clean batch-norm statistics",
                                owner_sets=("watermark.batchnorm_statistics=clean",)),
    "object": Task("object", "CIFAR-10", "object-watermark.yaml", "object-clean.yaml", DEMO_CLAIM,
                   ["finetune-object.yaml", *batchnorm_variants("finetune-object.yaml"), "pruning-object.yaml"], "piracy-object.yaml",
                   data_dir="data/cifar-10-full", train_on_data_dir=True, default_keys=10,
                   forgery="forgery-object.yaml", paper={"min_clean": 0.88, "null_gap": 0.01, "min_true": 0.99},
                   data_hint="python3 ../shared/data/cifar-10/rebuild_batches.py data/cifar-10-full writes it"),
}

# Quick mode: the same runs on a slice, small enough for CI. Training uses 3000 images for one
# epoch; attacks keep their full data (drivers read the whole set) but train briefly.
QUICK_TRAIN = ["data.train_limit=3000", "data.test_limit=500", "train.epochs=1"]
QUICK_ATTACK = {
    "quantize": [],
    "finetune": ["finetune.data_fraction=0.01", "finetune.epochs=1"],
    "pruning": ["pruning.rates=[0, 0.8, 0.9]"],
    "fine-pruning": ["fine-pruning.rates=[0, 0.6]", "fine-pruning.data_fraction=0.01",
                     "fine-pruning.activation_samples=200"],
    "neural-cleanse": ["neural-cleanse.steps=20", "neural-cleanse.samples=200",
                       "neural-cleanse.unlearning.data_fraction=0.01"],
    "transfer": ["transfer.data_fraction=0.01", "transfer.epochs=1"],
    "piracy": [],  # the grid already measures once before and once after
    "forgery": ["forgery.grind_signatures=20000", "forgery.claims_per_level=3"],
}
QUICK_EVAL_SAMPLES = 300
QUICK_PIRACY_FRACTIONS = [0.005, 0.01]


def experiment_of(config):
    """The driver a shipped attack config names: 'pruning-digit.yaml' -> 'pruning'."""
    for name in ("fine-pruning", "neural-cleanse", "quantize", "finetune", "pruning", "piracy", "transfer", "forgery"):
        if config.startswith(name + "-"):
            return name
    raise ValueError("no driver for " + config)
