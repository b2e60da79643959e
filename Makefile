# The course's commands. `make book` and `make test` are the two a newcomer needs; both set up
# .venv first (creating it if there is none), so they work on a fresh clone.
#
#   make book        set up, then build the HTML book into _build/html (chapters executed, -W)
#   make test        set up, then run every test: lstmlib's unit tests, the notebook checks, nbval over
#                    every chapter, make robust, a build of the book with warnings as errors, and the
#                    book in headless Chromium
#   make unit        lstmlib's unit tests alone (fast: no chapter runs; tests marked slow are left out)
#   make robust      every chapter in a scratch copy under two other seeds (claims travel)
#   make robust-threads  the same on 2 threads (another order of sums; not in make test, for time)
#   make browser     the built book in headless Chromium (pages, math, figures, search, dropdowns)
#   make bench       speed of lstmlib against torch.nn, as ratios measured in one run
#   make notebooks   re-execute every chapter in place (after changing code) and normalize metadata
#   make notebook NB=book/05_lstm_cell.ipynb   the same for one chapter
#   make student     student versions of every chapter (solutions stubbed, outputs cleared) in student/
#   make book-student  the student edition of the HTML book (no solutions) in student/_build/html
#   make checkpoint  retrain chapter 8's 2 x 256 LSTM language model (lstmlib/data/checkpoints/; ~16 min of
#                    one CPU thread; seeded and deterministic, so it reproduces the committed file)
#   make compare     rerun chapter 11's comparison of LSTM, GRU, minGRU, minLSTM, sLSTM, mLSTM and a Transformer
#                    (lstmlib/data/results/; seeded, resumable: runs already in the file are skipped)
#   make clean       remove _build and student/

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2
SHELL  := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip, minus the harmless 'Location ... is ignored' lines that this machine's pip configuration prints;
# --no-compile: modules are byte-compiled when first imported, not all at install (36 s of setup saved)
PIP    = $(BIN)/python -m pip install -q --no-compile
QUIET  = 2>&1 | { grep -v '^WARNING: Location' || true; }

# Same answers on every machine: no progress bars in outputs, stable string hashing, quiet pip.
export TQDM_DISABLE := 1
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python caches each module's bytecode on first import (pip installs with --no-compile, so nothing is
# compiled up front). Some machines set PYTHONDONTWRITEBYTECODE, which would make every one of the ~50
# Python processes of `make test` (a kernel per chapter run) compile torch's modules again: about 3 s
# of CPU each.
unexport PYTHONDONTWRITEBYTECODE
# Chapters and tests run single-threaded (two run side by side under nbval), so that floating-point
# results, and so the committed outputs, are the same in every run. `make bench` sets its own.
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: checkpoint compare setup book book-noexec test unit slow robust robust-threads check nbval browser browser-deps bench notebooks notebook student book-student clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip $(QUIET)
	$(PIP) -r requirements.txt $(QUIET)
	$(PIP) --no-deps -r requirements-nodeps.txt $(QUIET)
	$(PIP) --no-deps -e . $(QUIET)
	$(BIN)/python -c "import lstmlib, torch, nbval, jupyter_book"
	@touch $@

requirements-nodeps.txt:
	@touch $@

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@test -f _build/html/index.html && test -f _build/html/_static/mathjax/tex-chtml.js
	@echo "Book built: _build/html/index.html"

# The book from the committed outputs, without executing (used by `make test` after nbval has
# proven the committed outputs are what the current code produces).
book-noexec: setup
	@mkdir -p _build
	sed -e 's/^  execute_notebooks: force/  execute_notebooks: "off"/' \
	    -e 's|unique_scripts: book/sphinx_ext|unique_scripts: ../book/sphinx_ext|' _config.yml > _build/_config_noexec.yml
	$(BIN)/jupyter-book build . -W -n --keep-going --config _build/_config_noexec.yml
	@test -f _build/html/index.html && test -f _build/html/_static/mathjax/tex-chtml.js

unit: setup
	$(BIN)/python -m pytest tests -n $(JOBS) -q --ignore=tests/browser -m "not slow"

# Tests that build a book (the student edition's hidden solutions).
slow: setup
	$(BIN)/python -m pytest tests -q --ignore=tests/browser -m slow -p no:cacheprovider

# Every chapter, executed in a scratch copy under other random streams: shift 1, and shift 2 as the
# student edition (solutions stubbed), each on 1 thread. Fails if any raises. Other conditions:
# `make robust SHIFTS="3 4" THREADS=2`. `make robust-threads` is another thread count (shift 3 on 2
# threads), not part of `make test`: on 2 cores it adds about 490 s (see scripts/robust.py).
SHIFTS  ?=
THREADS ?= 2
robust: setup
	$(BIN)/python scripts/robust.py --jobs $(JOBS) $(if $(SHIFTS),--shifts $(SHIFTS) --threads $(THREADS))

robust-threads: setup
	$(BIN)/python scripts/robust.py --jobs $(JOBS) --shifts 3 --threads 2

# Committed notebooks: executed, no errors or warnings, no assertion that compares one run's digits;
# prints the share of outputs nbval compares per chapter.
check: setup
	$(BIN)/python scripts/check_notebooks.py book
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .

# Debian's chromium and chromium-driver for the browser tests, installed if missing (CI runs as root).
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	    echo "Installing Debian's chromium and chromium-driver for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# The built book in headless Chromium.
browser: setup browser-deps
	$(BIN)/python -m pytest tests/browser -q -p no:cacheprovider

# The longest chapters first, so that the two workers finish together (xdist hands out whole notebooks
# in the order given).
NBVAL_FIRST := book/07_long_time_lags.ipynb book/10_attention.ipynb book/11_recurrent_networks_today.ipynb book/08b_lstm_variants.ipynb
NBVAL_ORDER := $(NBVAL_FIRST) $(filter-out $(NBVAL_FIRST),$(sort $(wildcard book/*.ipynb)))

nbval: setup
	$(BIN)/python -m pytest --nbval $(NBVAL_ORDER) --nbval-current-env \
	    --nbval-sanitize-with tests/sanitize.cfg -n $(JOBS) --dist loadscope -q -p no:cacheprovider

# Chromium's install (network and dpkg, when it is missing) runs in the background while the CPU-bound
# stages run; the student build and the book build run side by side. Any stage that fails stops the run.
test: setup
	@mkdir -p _build
	{ $(MAKE) --no-print-directory browser-deps > _build/browser-deps.log 2>&1; echo $$? > _build/browser-deps.rc; } & \
	$(MAKE) --no-print-directory unit && \
	$(MAKE) --no-print-directory check && \
	$(MAKE) --no-print-directory nbval && \
	$(MAKE) --no-print-directory robust && \
	$(MAKE) --no-print-directory -j2 slow book-noexec && \
	{ wait; cat _build/browser-deps.log; test "$$(cat _build/browser-deps.rc)" = 0; } && \
	$(MAKE) --no-print-directory browser

bench: setup
	@for f in benchmarks/bench_*.py; do echo "== $$f"; env -u OMP_NUM_THREADS -u MKL_NUM_THREADS $(BIN)/python $$f || exit 1; done

notebooks: setup
	$(BIN)/python scripts/run_notebooks.py book/*.ipynb

notebook: setup
	$(BIN)/python scripts/run_notebooks.py $(NB)

student: setup
	$(BIN)/python scripts/make_student.py book student

# The student edition of the HTML book: built from the student notebooks (executed, so each check
# says "not yet solved") with sphinx-exercise's hide_solutions, into student/_build/html.
book-student: student
	$(BIN)/jupyter-book build student -W -n --keep-going

# Chapter 8 loads this model rather than training it live; its log is committed beside it.
checkpoint: setup
	$(BIN)/python scripts/train_charlm.py

compare: setup
	$(BIN)/python scripts/compare_recurrent.py

clean:
	rm -rf _build student
