"""The `model-copy` command line: parse it, hand each subcommand (local, copy, status, history,
approve, reject, rollback, doctor, demo) to the module that does it, and end with its exit code
(EXIT_CODES, which `--help` shows).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import ClientError
from model_copy.arns import validate_name
from model_copy.contract import TRAINED_STATUSES
from model_copy.errors import InvalidCopyRequest

from local_cloud.cloudformation.intrinsics import TemplateError
from local_cloud.cloudformation.pipeline import parse_overrides
from local_cloud.core.accounts import REGION, TARGET_ACCOUNT
from model_copy_cli import controls, copy, doctor, local, preflight, report
from model_copy_cli.demo import run_demo, train_local_classifier
from model_copy_cli.errors import USAGE, CliError, UsageError
from model_copy_cli.follow import follow

INTERRUPTED = 130  # as shells report a SIGINT
DESCRIPTION = "model-copy: copy trained Amazon Comprehend custom models between AWS accounts."
EXIT_CODES = """\
Exit codes: 0 done (every target TRAINED; a dry run's plan is valid; a decision or rollback
was made; every doctor check passed), 1 the copy (also as `status` shows it), the decision,
the rollback, a doctor check or the local cloud failed, 2 the command line or the request is
wrong: checked before anything starts, nothing was started or changed, 130 interrupted.
With --json, stdout holds one JSON document in every case (errors: {"error", "exitCode"})."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true",
                        help="print one JSON document (progress lines go to stderr)")
    aws = argparse.ArgumentParser(add_help=False)
    aws.add_argument("--profile", help="AWS profile of the source account")
    aws.add_argument("--region", help="AWS Region of the pipeline")
    aws.add_argument("--state-machine-arn", help="the copy state machine (default: the output "
                     f"StateMachineArn of stack {copy.SOURCE_STACK})")
    aws.add_argument("--cloud", choices=("auto", "local", "aws"), default="auto",
                     help="auto: the local cloud when it runs, else AWS (default)")

    parser = argparse.ArgumentParser(
        prog="model-copy", description=DESCRIPTION, epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    local_cmd = commands.add_parser("local", help="the embedded local cloud")
    local_actions = local_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = local_actions.add_parser("up", parents=[common],
                                  help="start it in the background and deploy both sides")
    up.add_argument("--port", type=int, help="default MODEL_COPY_LOCAL_PORT or 4566")
    up.add_argument("--template", type=Path, metavar="FILE",
                    help="deploy this template instead of template.yaml (both sides)")
    up.add_argument("--parameter-overrides", nargs="+", default=[], metavar="KEY=VALUE",
                    help="template parameters for both stacks, as sam deploy takes them; "
                         "with --template or these, the stacks are redeployed")
    local_actions.add_parser("down", parents=[common], help="stop it")
    train = local_actions.add_parser(
        "train", parents=[common],
        help="train a document classifier in the local source account (111111111111) to copy")
    train.add_argument("name", metavar="NAME", help="the classifier's name")
    train.add_argument("--version-name", default="v1", help="its version (default v1)")
    local_actions.add_parser("status", parents=[common], help="is it running, what is deployed")

    copy_cmd = commands.add_parser("copy", parents=[common, aws],
                                   help="copy a model version to other accounts and follow it")
    copy_cmd.add_argument("source_model_arn", metavar="SOURCE_MODEL_ARN")
    copy_cmd.add_argument("--to", dest="targets", action="append", required=True,
                          metavar="ACCOUNT", help="target account id (repeatable)")
    copy_cmd.add_argument("--name", help="model name in the target (default: the source's)")
    copy_cmd.add_argument("--version-name", help="version name in the target")
    copy_cmd.add_argument("--no-wait", action="store_true", help="start it and return")
    copy_cmd.add_argument("--dry-run", action="store_true",
                          help="run every check in the pipeline and print the plan (model "
                               "status, principal, target name/version, approval per target); "
                               "nothing is shared, announced or imported. Exit 2 with the "
                               "reason when a check fails")
    copy_cmd.add_argument("--poll-seconds", type=float, default=None, help=argparse.SUPPRESS)

    status = commands.add_parser("status", parents=[common, aws], help="one copy in detail")
    status.add_argument("execution", nargs="?", metavar="EXECUTION_ARN_OR_NAME",
                        help="default: the latest copy")

    history = commands.add_parser("history", parents=[common, aws], help="past copies")
    history.add_argument("--limit", type=int, default=10)

    for verb, meaning in (("approve", "let a copy waiting for approval go on to a target"),
                          ("reject", "stop a copy waiting for approval to a target (the "
                                     "target fails with ModelCopyRejected)")):
        decision = commands.add_parser(
            verb, parents=[common, aws], help=meaning,
            description=f"{meaning}. Answers the open approval of that target in the "
                        "execution's history; the caller's identity ARN is recorded as `by`.")
        decision.add_argument("execution", metavar="EXECUTION_ARN_OR_NAME",
                              help="the copy execution (its ARN, or its name as `history` "
                                   "shows it)")
        decision.add_argument("--target", required=True, metavar="ACCOUNT",
                              help="the target account the approval is for")
        decision.add_argument("--reason", help="kept with the decision in the history")

    rollback_help = ("make the version promoted before the current one current again in a "
                     "target account (SSM /model-copy/current/<model>; nothing is deleted)")
    roll = commands.add_parser("rollback", parents=[common], help=rollback_help,
                               description=rollback_help + ". Exit 1 when there is no "
                               "earlier version.")
    roll.add_argument("--account", required=True, help="the target account")
    roll.add_argument("--model", required=True, help="the model name in that account")
    roll.add_argument("--profile", help="AWS profile acting in --account (on the local cloud "
                                         "the default is that account's profile, e.g. target); "
                                         "refused when it acts in another account")
    roll.add_argument("--region", help="AWS Region")
    roll.add_argument("--target-stack", default=controls.TARGET_STACK,
                      help="the target side's stack in --account, whose EventBusArn output "
                           f"names the bus announcements go to (default {controls.TARGET_STACK})")
    roll.add_argument("--cloud", choices=("auto", "local", "aws"), default="auto",
                      help="auto: the local cloud when it runs, else AWS (default)")

    doctor_help = ("check a deployment of both sides before the first copy: one line per "
                   "check, pass or fail with the fix; exit 1 when a check fails")
    doc = commands.add_parser("doctor", parents=[common], help=doctor_help,
                              description=doctor_help)
    doc.add_argument("--source-profile", help="AWS profile of account A (local: source)")
    doc.add_argument("--target-profile", help="AWS profile of account B (local: target)")
    doc.add_argument("--region", help="AWS Region of both sides (default: each profile's)")
    doc.add_argument("--source-stack", default=copy.SOURCE_STACK)
    doc.add_argument("--target-stack", default=controls.TARGET_STACK)
    doc.add_argument("--cloud", choices=("auto", "local", "aws"), default="auto",
                     help="auto: the local cloud when it runs, else AWS (default)")

    commands.add_parser("demo", parents=[common],
                        help="the whole copy on the local cloud, then stop it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in words
    try:
        args = _parser().parse_args(words)
    except SystemExit as stop:  # argparse already printed the usage problem
        code = int(stop.code or 0)
        if code and as_json:
            report.emit_json({"error": "invalid command line (see the usage on stderr)",
                              "exitCode": code})
        return code
    try:
        return _dispatch(args)
    except CliError as problem:
        return report.failure(str(problem), problem.exit_code, as_json)
    except KeyboardInterrupt:
        return report.failure("interrupted", INTERRUPTED, as_json)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "local":
        return _local(args)
    if args.command == "copy":
        return _copy(args)
    if args.command == "status":
        return _status(args)
    if args.command == "history":
        return _history(args)
    if args.command in ("approve", "reject"):
        return _decide(args, approved=args.command == "approve")
    if args.command == "rollback":
        return _rollback(args)
    if args.command == "doctor":
        return _doctor(args)
    return run_demo(as_json=args.json)


def _decide(args: argparse.Namespace, approved: bool) -> int:
    controls.check_account(args.target, "--target account")  # before any AWS call
    execution_arn, decision = controls.decide_target(
        _pipeline(args), args.execution, args.target, approved, args.reason)
    document = {"executionArn": execution_arn, "target": args.target, **vars(decision)}
    if args.json:
        report.emit_json(document)
    else:
        reason = f" ({decision.reason})" if decision.reason else ""
        print(f"{decision.decision.lower()} the copy to {args.target} in "
              f"{execution_arn.rsplit(':', 1)[-1]} as {decision.by}{reason}")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    # Both checked before any AWS call.
    controls.check_account(args.account, "--account")
    controls.check_model_name(args.model)
    session = controls.target_session(args.account, args.profile, args.region, args.cloud)
    promotion = controls.roll_back(session, args.model, args.target_stack)
    if args.json:
        report.emit_json({"account": args.account, "model": promotion.model_name,
                          "current": promotion.model_arn, "previous": promotion.previous_arn,
                          "by": promotion.by})
    else:
        print(f"rolled back {promotion.model_name} in {args.account}:\n"
              f"  {promotion.previous_arn}\n  -> {promotion.model_arn} (now current)\n"
              f"announced as Model Version Promoted by {promotion.by}")
    return 0


def _train(args: argparse.Namespace) -> int:
    controls.check_model_name(args.name)
    try:
        validate_name(args.version_name, "--version-name")
    except InvalidCopyRequest as problem:
        raise UsageError(str(problem)) from None
    cloud = local.running()
    if cloud is None:
        raise CliError("the local cloud is not running: start it with `model-copy local up`")
    local.use(cloud)
    try:
        props = train_local_classifier(args.name, args.version_name, args.json)
    except ClientError as problem:
        raise copy.aws_failure(problem) from None
    if props["Status"] not in TRAINED_STATUSES:
        raise CliError(f"{args.name} is {props['Status']}: {props.get('Message', '')}")
    arn = props["DocumentClassifierArn"]
    if args.json:
        report.emit_json({"modelArn": arn, "status": props["Status"]})
    else:
        print(f"{props['Status']}: {arn}\ncopy it with: model-copy copy {arn} --to "
              f"{TARGET_ACCOUNT}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    cloud = local.running() if args.cloud in ("auto", "local") else None
    if args.cloud == "local" and cloud is None:
        raise CliError("the local cloud is not running: start it with `model-copy local up`")
    if cloud is not None:
        local.use(cloud)
    region = args.region or (REGION if cloud else None)
    source = doctor.Side(copy.new_session(args.source_profile or ("source" if cloud else None),
                                          region), args.source_stack)
    target = doctor.Side(copy.new_session(args.target_profile or ("target" if cloud else None),
                                          region), args.target_stack)
    checks = doctor.Doctor(source, target).run()
    failed = [c for c in checks if c.ok is False]
    if args.json:
        report.emit_json({"ok": not failed, "checks": [vars(c) for c in checks]})
    else:
        print("\n".join(c.line() for c in checks))
        print(f"{len(failed)} of {len(checks)} checks failed" if failed
              else f"all {len(checks)} checks passed")
    return 1 if failed else 0


def _local(args: argparse.Namespace) -> int:
    if args.action == "train":
        return _train(args)
    if args.action == "down":
        was_running = local.down()
        if args.json:
            report.emit_json({"stopped": was_running, "stateDir": str(local.state_dir())})
        else:
            print("local cloud stopped" if was_running else "local cloud was not running")
        return 0
    if args.action == "up":
        try:
            state = local.up(port=args.port, template=args.template,
                             overrides=parse_overrides(args.parameter_overrides))
        except local.NotInstalled as problem:
            raise CliError(str(problem)) from None
        except TemplateError as problem:
            raise CliError(f"nothing deployed: {problem}", USAGE) from None
        except (RuntimeError, OSError) as problem:
            raise CliError(f"the local cloud did not start: {problem}") from None
    else:
        state = local.status()
    if args.json:
        report.emit_json(state.document())
    else:
        print("\n".join(state.lines()))
    return 0


def _pipeline(args: argparse.Namespace) -> copy.Pipeline:
    return copy.find_pipeline(args.cloud, args.profile, args.region, args.state_machine_arn)


def _copy(args: argparse.Namespace) -> int:
    # Checked before any AWS call: a typo costs nothing and says what is wrong.
    request = copy.check_request(args.source_model_arn, args.targets, args.name,
                                 args.version_name)
    pipe = _pipeline(args)
    # The dry run's checks, before anything is started: a wrong request exits 2.
    preflight.check_before_start(pipe, request, args.profile)
    if args.dry_run:
        plan = controls.run_dry_run(pipe, request)
        if args.json:
            report.emit_json(plan)
        else:
            print("\n".join(controls.plan_lines(plan)))
        return 0 if controls.plan_ready(plan) else 1
    execution_arn = copy.start_copy(pipe, request)
    if args.no_wait:
        if args.json:
            report.emit_json({"executionArn": execution_arn, "status": "RUNNING"})
        else:
            print(f"started {execution_arn}\nfollow it with: model-copy status "
                  f"{execution_arn.rsplit(':', 1)[-1]}")
        return 0
    return follow(pipe, execution_arn, args.json, args.poll_seconds)


def _status(args: argparse.Namespace) -> int:
    pipe = _pipeline(args)
    execution_arn = copy.execution_arn_for(pipe, args.execution)
    summary = copy.summarize(copy.describe(pipe, execution_arn))
    progress = copy.read_progress(pipe, execution_arn)
    if args.json:
        report.emit_json({**summary, "progress": report.copy_document(execution_arn, progress)})
    else:
        print(report.history_row(summary))
        print("\n".join(report.copy_summary(execution_arn, progress)))
    return 0 if summary["status"] in ("SUCCEEDED", "RUNNING") else 1


def _history(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1", USAGE)
    pipe = _pipeline(args)
    rows = [copy.summarize(copy.describe(pipe, e["executionArn"]))
            for e in copy.list_executions(pipe, args.limit)]
    scope = (f"copies run by {pipe.state_machine_arn.rsplit(':', 1)[-1]}; a redeploy that "
             "replaces the state machine (on the local cloud every redeploy does) starts a "
             "new history: earlier copies are not listed")
    if args.json:
        report.emit_json({"stateMachineArn": pipe.state_machine_arn, "copies": rows,
                          "scope": scope})
    elif not rows:
        print("no copies yet: start one with `model-copy copy ARN --to ACCOUNT`")
        print(f"({scope})")
    else:
        print("\n".join(report.history_row(row) for row in rows))
        print(f"({scope})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
