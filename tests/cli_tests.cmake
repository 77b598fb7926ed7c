# Command-line tests: the real `nullmark` binary on the embedded MNIST and on broken inputs.
set(NM $<TARGET_FILE:nullmark>)
set(EXPECT ${CMAKE_CURRENT_SOURCE_DIR}/cli/expect_error.sh)
set(CFG ${PROJECT_SOURCE_DIR}/experiments/configs/digit-clean.yaml)
set(BROKEN ${CMAKE_CURRENT_BINARY_DIR}/broken)
file(MAKE_DIRECTORY ${BROKEN})
file(WRITE ${BROKEN}/misspelt.yaml "data: {type: mnist}\ntrain:\n  epochs: 1\n  batchsize: 64\n")
file(WRITE ${BROKEN}/range.yaml "train: {epochs: 0}\n")
file(WRITE ${BROKEN}/syntax.yaml "train: {epochs: 1\n")
file(WRITE ${BROKEN}/not-a-checkpoint.ckpt "NULLMARK but not really a checkpoint, just text that is long enough")

add_test(NAME "cli: train, eval and resume on MNIST slice"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/train_smoke.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: misspelt config key"
         COMMAND ${EXPECT} "misspelt.yaml:4:3: train.batchsize: unknown key; valid keys in train: epochs, batch_size"
                 ${NM} train ${BROKEN}/misspelt.yaml)
add_test(NAME "cli: out-of-range config value"
         COMMAND ${EXPECT} "range.yaml:1:17: train.epochs: must be in \\[1, 100000\\], got 0" ${NM} train ${BROKEN}/range.yaml)
add_test(NAME "cli: YAML syntax error" COMMAND ${EXPECT} "syntax.yaml:2:1: YAML syntax error" ${NM} train ${BROKEN}/syntax.yaml)
add_test(NAME "cli: missing data set"
         COMMAND ${EXPECT} "/nonexistent/train-images-idx3-ubyte: cannot open data file"
                 ${NM} train ${CFG} --set data.path=/nonexistent --output ${BROKEN}/run)
add_test(NAME "cli: unknown device"
         COMMAND ${EXPECT} "device: unknown value \"tpu\"; valid values: cpu, cuda" ${NM} train ${CFG} --set device=tpu)
add_test(NAME "cli: residual block whose shapes do not add up"
         COMMAND ${EXPECT} "layer 0 \\(residual\\+relu\\): .*the body outputs 8x24x24 but the shortcut 1x28x28"
                 ${NM} train ${CFG} --set "model.layers=[{type: residual, body: [{type: conv2d, filters: 8, kernel: 5}]}]"
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: a diverging training stops with a message"
         COMMAND ${EXPECT} "training diverged: the loss is -?nan at step [0-9]+ \\(lower the learning rate"
                 ${NM} train ${CFG} --set "train.optimizer={type: sgd, lr: 10}" --set data.train_limit=2048
                 --set data.test_limit=100 --set train.epochs=1 --quiet --output ${BROKEN}/diverged
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: corrupt checkpoint" COMMAND ${EXPECT} "not-a-checkpoint.ckpt: .*(corrupt|version)"
         ${NM} eval ${BROKEN}/not-a-checkpoint.ckpt)
add_test(NAME "cli: keygen, sign, watermarked training, verify, verify-cert"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/watermark_smoke.sh ${NM} ${PROJECT_SOURCE_DIR})
# A claim whose verifier string was edited is rejected before the (here unreadable) model is opened.
file(READ ${PROJECT_SOURCE_DIR}/experiments/claims/demo-digit-lambda10.json DEMO_CLAIM)
string(REPLACE "digit-classifier" "digit-classifyer" TAMPERED_CLAIM "${DEMO_CLAIM}")
file(WRITE ${BROKEN}/tampered-claim.json "${TAMPERED_CLAIM}")
add_test(NAME "cli: tampered claim rejected before any model runs"
         COMMAND ${EXPECT} "tampered-claim.json: claim rejected: the signature does not verify"
                 ${NM} verify --model ${BROKEN}/not-a-checkpoint.ckpt --claim ${BROKEN}/tampered-claim.json)
file(WRITE ${BROKEN}/open.key "{}")
# A missing or malformed argument exits 1, as other errors do (verify's 2 means "rejected"); help exits 0.
add_test(NAME "cli: bad arguments exit 1, help exits 0"
         COMMAND sh -c "'${NM}' verify --model '${BROKEN}/not-a-checkpoint.ckpt' 2>'${BROKEN}/args.log'; rc=$?; [ $rc -eq 1 ] || { echo \"exit $rc, expected 1\"; exit 1; }; grep -q -- '--claim is required' '${BROKEN}/args.log' || { echo 'no --claim message'; exit 1; }; '${NM}' pattern --claim '${PROJECT_SOURCE_DIR}/experiments/claims/demo-digit-lambda10.json' --input 1,28 2>/dev/null; rc=$?; [ $rc -eq 1 ] || { echo \"--input 1,28: exit $rc, expected 1\"; exit 1; }; '${NM}' verify --help >/dev/null")
add_test(NAME "cli: secret key readable by others"
         COMMAND sh -c "chmod 644 '${BROKEN}/open.key' && '${EXPECT}' 'permissions 0644 are too open' '${NM}' sign --key '${BROKEN}/open.key' --verifier x --input 1,28,28 --classes 10 --out '${BROKEN}/c.json'")
add_test(NAME "cli: timestamps with a local test TSA, and a dispute that names the owner"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/timestamp_dispute.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: experiment drivers on a tiny configuration"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/experiments_smoke.sh ${NM} ${PROJECT_SOURCE_DIR})
file(WRITE ${BROKEN}/unknown-experiment.yaml "experiment: jailbreak\nmodel: m.ckpt\nclaim: c.json\n")
add_test(NAME "cli: unknown experiment"
         COMMAND ${EXPECT} "experiment: unknown value \"jailbreak\"; valid values: fine-pruning, finetune, forgery, neural-cleanse, piracy, pruning, quantize, transfer"
                 ${NM} run ${BROKEN}/unknown-experiment.yaml)
add_test(NAME "cli: experiment with a missing model file"
         COMMAND ${EXPECT} "model: model file /nonexistent.ckpt does not exist"
                 ${NM} run ${PROJECT_SOURCE_DIR}/experiments/configs/pruning-digit.yaml --set model=/nonexistent.ckpt)
add_test(NAME "cli: experiment config with an unknown device"
         COMMAND ${EXPECT} "device: unknown value \"tpu\"; valid values: cpu, cuda"
                 ${NM} run ${PROJECT_SOURCE_DIR}/experiments/configs/pruning-digit.yaml --set device=tpu)
add_test(NAME "cli: experiment config with a misspelt cuda key"
         COMMAND ${EXPECT} "cuda.graphs: unknown key; valid keys in cuda: debug_sync, precision, graph"
                 ${NM} run ${PROJECT_SOURCE_DIR}/experiments/configs/pruning-digit.yaml --set cuda.graphs=true)
add_test(NAME "cli: a precision nullmark has no kernels for"
         COMMAND ${EXPECT} "cuda.precision: unknown value \"fp16\"; valid values: fp32, tf32, bf16"
                 ${NM} run ${PROJECT_SOURCE_DIR}/experiments/configs/pruning-digit.yaml --set cuda.precision=fp16)
add_test(NAME "cli: pruning rate outside [0, 1]"
         COMMAND ${EXPECT} "pruning.rates: every value must be in \\[0, 1\\], got 1.5"
                 ${NM} run ${PROJECT_SOURCE_DIR}/experiments/configs/pruning-digit.yaml --set "pruning.rates=[0.5, 1.5]")
add_test(NAME "cli: piracy with nothing for the pirate to train on"
         COMMAND ${EXPECT} "piracy.null_weight: without clean samples, null_weight and true_weight 0 leave the pirate nothing to train on"
                 ${NM} run ${PROJECT_SOURCE_DIR}/experiments/configs/piracy-digit.yaml --set piracy.clean_samples=false
                 --set piracy.null_weight=0 --set piracy.true_weight=0)
# The GPU validation summary (bench/gpu_validate_summary.py) on a fixture: a GPU call must not find it broken.
add_test(NAME "cli: GPU validation summary states the targets from a run's figures"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/gpu_validate_summary.sh ${PROJECT_SOURCE_DIR})
# A config's watermark.space must agree with the claim's (the demo claim stamps normalised inputs).
add_test(NAME "cli: watermark space that disagrees with the claim"
         COMMAND ${EXPECT} "watermark.space: the config says space raw but the claim stamps in the normalized space"
                 ${NM} train ${PROJECT_SOURCE_DIR}/experiments/configs/digit-watermark.yaml --set watermark.space=raw
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# The results page: scripts/reproduce.sh's plan at smoke size, docs/results.md against the committed
# results, and the generator on broken result files.
add_test(NAME "cli: reproduce and frontier --quick: resumed, lost models retrained and checked, tables regenerated"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/reproduce_quick.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: the frontier's n sweep runs at the point the n = 6 grid's results choose, stated on the page"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/frontier_n_sweep.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: the paper's CIFAR-10 figure is decided under the object training table, seed by seed, and the claims table has CIFAR-10 rows"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/results_paper_figure.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: the batch-norm re-estimation study's table and answer, and its refusal of incomplete results"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/results_bnre_study.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: docs/results.md tables equal the committed results"
         COMMAND python3 ${PROJECT_SOURCE_DIR}/experiments/results/results_page.py --check)
add_test(NAME "cli: the CPU kernel benchmark times every pass of every shape and records them"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/bench_kernels_cpu.sh $<TARGET_FILE:bench_kernels_cpu>)
add_test(NAME "cli: the paired before/after comparison of two kernel benchmark builds"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/ab_cpu.sh $<TARGET_FILE:bench_kernels_cpu> ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: docs/perf.md tables equal the committed benchmark files"
         COMMAND python3 ${PROJECT_SOURCE_DIR}/bench/perf_tables.py --check)
add_test(NAME "cli: ONNX export, eval, verify, attacks and --init match the checkpoint, bad models are refused"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/onnx_cli.sh ${NM} ${PROJECT_SOURCE_DIR})
add_test(NAME "cli: a sweep in shares (job arrays), gathered by --resume, equals the one-process sweep"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/sweep_share.sh ${NM} ${PROJECT_SOURCE_DIR})
# Sweeps and data-parallel training over MPI ranks: registered where nullmark is built with MPI and
# mpirun is installed (scripts/install-deps.sh installs Debian's Open MPI).
find_program(NULLMARK_MPIRUN mpirun)
if(NULLMARK_HAVE_MPI AND NULLMARK_MPIRUN)
  add_test(NAME "cli: sweeps over 2 MPI ranks equal 1 rank, resume after a killed rank, mixed ranks refused"
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/mpi_sweep.sh ${NM} ${PROJECT_SOURCE_DIR})
  add_test(NAME "cli: data-parallel training over 2 MPI ranks equals 1 process, resumes a killed job, refuses mixed ranks"
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/mpi_train.sh ${NM} ${PROJECT_SOURCE_DIR})
else()
  message(STATUS "nullmark: no MPI build or no mpirun: the MPI sweep and training tests are not registered")
endif()
add_test(NAME "cli: results generator refuses broken result files"
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/results_hostile.sh ${NM} ${PROJECT_SOURCE_DIR})

# The Python spec package (python/): registered where Debian's python3 has PyNaCl and numpy
# (scripts/install-deps.sh installs them); elsewhere CMake says the test is not run.
execute_process(COMMAND /usr/bin/python3 -c "import nacl.signing, numpy" RESULT_VARIABLE NULLMARK_PY_SPEC_DEPS
                OUTPUT_QUIET ERROR_QUIET)
if(NULLMARK_PY_SPEC_DEPS EQUAL 0)
  add_test(NAME "python: nullmark_spec against the golden vectors, hostile claims and the binary"
           COMMAND /usr/bin/python3 -m unittest discover -s ${PROJECT_SOURCE_DIR}/python/tests)
  set_tests_properties("python: nullmark_spec against the golden vectors, hostile claims and the binary"
                       PROPERTIES LABELS "cli;python"
                       ENVIRONMENT "PYTHONPATH=${PROJECT_SOURCE_DIR}/python;NULLMARK_BINARY=$<TARGET_FILE:nullmark>")
else()
  message(STATUS "python/ spec package test not registered: /usr/bin/python3 lacks PyNaCl or numpy")
endif()

# Every test above is a command-line test: label them all at once, so a new one cannot miss the label.
get_property(NULLMARK_CLI_TESTS DIRECTORY PROPERTY TESTS)
# The GPU recipe's network, schedule and watermark on the CPU: 2 steps of 256 CIFAR-10 images, so that a
# config error shows here and not first on a card.
if(EXISTS "${NULLMARK_SHARED_DATA}/cifar-10")
  add_test(NAME "cli: object-fast.yaml (the GPU recipe) trains two steps on the CPU and checkpoints"
           COMMAND ${NM} train ${PROJECT_SOURCE_DIR}/experiments/configs/object-fast.yaml --set device=cpu
                   --set data.path=${NULLMARK_SHARED_DATA}/cifar-10 --set data.train_limit=512 --set data.test_limit=100
                   --set train.epochs=1 --set train.batch_size=256 --quiet
                   --output ${CMAKE_CURRENT_BINARY_DIR}/object-fast-smoke
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties("cli: object-fast.yaml (the GPU recipe) trains two steps on the CPU and checkpoints" PROPERTIES
                       LABELS "shared-data" ENVIRONMENT "${NULLMARK_TEST_ENV}")
endif()

foreach(t IN LISTS NULLMARK_CLI_TESTS)
  if(t MATCHES "^cli: ")
    set_tests_properties("${t}" PROPERTIES LABELS "cli" ENVIRONMENT "${NULLMARK_TEST_ENV}")
  endif()
endforeach()
