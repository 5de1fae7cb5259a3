"""Ukrainian (the default) and English: the pages' strings, messages for every error code, and how money,
dates and vote weights are written in each language.

``MESSAGES`` maps a key to its (Ukrainian, English) text; ``ERRORS`` maps an error ``code`` (as CTSError,
the relayer and its worker give it) to a message. Error codes are looked up without their underscores, so
``balanced_vote_insufficient_rv`` and the relayer's ``balanced_vote_insufficient_r_v`` are one code.
An unknown code falls back to the service's English detail (English pages) or to a general Ukrainian
message that names the code (so that support can find it).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cts.models import Language

NBSP = "\u00a0"
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# ---------------------------------------------------------------- strings of the pages

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("Система громадських токенів", "Citizen Token System"),
    "app.short": ("CTS", "CTS"),
    # navigation
    "nav.label": ("Головне меню", "Main menu"),
    "nav.skip": ("Перейти до змісту", "Skip to content"),
    "nav.home": ("Головна", "Home"),
    "nav.me": ("Мій рахунок", "My account"),
    "nav.programmes": ("Програми", "Programmes"),
    "nav.cases": ("Мої справи", "My cases"),
    "nav.rounds": ("Голосування", "Votes"),
    "nav.verify": ("Перевірка справ", "Cases to check"),
    "nav.record": ("Записати справу", "Record a case"),
    "nav.council": ("Рада громади", "Council"),
    "nav.public": ("Звітність громади", "Public figures"),
    "nav.signin": ("Увійти", "Sign in"),
    "nav.signup": ("Зареєструватися", "Sign up"),
    "nav.signout": ("Вийти", "Sign out"),
    "footer.about": (
        "Усі числа на цих сторінках прочитано з блокчейну громади; кожен може їх перевірити.",
        "Every figure on these pages is read from the hromada's blockchain; anyone can check it.",
    ),
    "footer.time": ("Час — {zone}.", "Times are {zone}."),
    "role.resident": ("мешканець", "resident"),
    "role.verifier": ("верифікатор", "verifier"),
    "role.coordinator": ("координатор", "coordinator"),
    "role.council": ("рада громади", "council"),
    "role.auditor": ("аудитор", "auditor"),
    # notices
    "notice.already_sent": (
        "Цю форму вже було надіслано — нічого не повторено. Ось результат.",
        "This form was already sent — nothing was done twice. Here is the result.",
    ),
    "notice.signed_out": ("Ви вийшли з облікового запису.", "You have signed out."),
    "notice.welcome": (
        "Обліковий запис створено. Ласкаво просимо!",
        "Your account is ready. Welcome!",
    ),
    "notice.language": ("Мову змінено.", "Language changed."),
    # forms
    "form.problem": ("Є проблема", "There is a problem"),
    "form.check_fields": ("Перевірте поля, позначені нижче.", "Please check the fields marked below."),
    "form.error_prefix": ("Помилка:", "Error:"),
    "form.choose": ("— оберіть —", "— choose —"),
    "form.uah_hint": ("У гривнях, наприклад 1500 або 1500,50.", "In hryvnias, for example 1500 or 1500.50."),
    "field.required": ("Заповніть це поле.", "Fill in this field."),
    "field.too_long": ("Не більше {max} символів.", "At most {max} characters."),
    "field.too_short": ("Щонайменше {min} символи.", "At least {min} characters."),
    "field.too_many_bytes": (
        "Задовго: не більше {max} байтів (приблизно {letters} українських літер).",
        "Too long: at most {max} bytes (about {letters} Cyrillic letters).",
    ),
    "field.integer": ("Введіть ціле число, наприклад 5.", "Enter a whole number, for example 5."),
    "field.min": ("Щонайменше {min}.", "At least {min}."),
    "field.max": ("Не більше {max}.", "At most {max}."),
    "field.amount": (
        "Введіть суму в гривнях, наприклад 1500 або 1500,50.",
        "Enter an amount in hryvnias, for example 1500 or 1500.50.",
    ),
    "field.amount_min": ("Щонайменше {min}.", "At least {min}."),
    "field.amount_max": ("Не більше {max}.", "At most {max}."),
    "field.choose": ("Оберіть один із варіантів.", "Choose one of the options."),
    "field.phone": (
        "Введіть номер у міжнародному форматі, наприклад +380 67 123 45 67.",
        "Enter the number in international format, for example +380 67 123 45 67.",
    ),
    "field.email": (
        "Введіть адресу e-mail, наприклад olena@example.org.",
        "Enter an e-mail address, for example olena@example.org.",
    ),
    "field.phone_or_email": (
        "Вкажіть номер телефону або e-mail (або обидва).",
        "Give a phone number or an e-mail address (or both).",
    ),
    "field.login": (
        "Введіть номер телефону (+380…) або e-mail.",
        "Enter your phone number (+380…) or your e-mail address.",
    ),
    "field.password_short": (
        "Пароль має містити щонайменше {min} символів.",
        "The password needs at least {min} characters.",
    ),
    # home
    "home.title": ("Добрі справи громади — у спільний фонд", "Good work for the hromada, a fund we share"),
    "home.lead": (
        "Робіть корисні справи для громади, отримуйте токени RV і вирішуйте разом з іншими, які проєкти "
        "профінансувати.",
        "Do useful work for your hromada, earn RV tokens, and decide together which projects get funded.",
    ),
    "home.step1": (
        "Зареєструйтеся; рада громади підтвердить, що ви мешканець.",
        "Sign up; the hromada's council confirms that you live here.",
    ),
    "home.step2": (
        "Зробіть корисну справу і надішліть фото чи документ як підтвердження — отримаєте RV.",
        "Do a useful case and send a photo or document as evidence: you earn RV.",
    ),
    "home.step3": (
        "Розподіліть свої RV між проєктами під час голосування.",
        "Spread your RV over projects when the vote is open.",
    ),
    "home.public": (
        "Звітність громади — для всіх, без реєстрації",
        "Public figures — open to all, no account needed",
    ),
    # sign in / up
    "signin.title": ("Вхід", "Sign in"),
    "signin.login": ("Номер телефону або e-mail", "Phone number or e-mail"),
    "signin.login_hint": ("Наприклад +380 67 123 45 67", "For example +380 67 123 45 67"),
    "signin.password": ("Пароль", "Password"),
    "signin.submit": ("Увійти", "Sign in"),
    "signin.no_account": ("Немає облікового запису?", "No account yet?"),
    "signup.title": ("Реєстрація", "Sign up"),
    "signup.lead": (
        "Потрібен номер телефону або e-mail. Ваш гаманець створимо автоматично — жодних ключів чи комісій.",
        "You need a phone number or an e-mail address. We create your wallet for you: no keys, no fees.",
    ),
    "signup.name": ("Ваше ім'я", "Your name"),
    "signup.name_hint": (
        "Як вас бачитимуть координатори, наприклад «Олена К.»",
        "As coordinators will see it",
    ),
    "signup.phone": ("Номер телефону (необов'язково)", "Phone number (optional)"),
    "signup.phone_hint": ("У форматі +380 67 123 45 67", "Like +380 67 123 45 67"),
    "signup.email": ("E-mail (необов'язково)", "E-mail (optional)"),
    "signup.email_hint": ("Якщо немає телефону", "If you have no phone"),
    "signup.password": ("Пароль", "Password"),
    "signup.password_hint": (
        "Щонайменше 10 символів; можна кілька слів.",
        "At least 10 characters; a few words work well.",
    ),
    "signup.submit": ("Створити обліковий запис", "Create my account"),
    "signup.have_account": ("Уже маєте обліковий запис?", "Already have an account?"),
    # resident: home
    "me.title": ("Мій рахунок", "My account"),
    "me.hello": ("Вітаємо, {name}!", "Hello, {name}!"),
    "me.balance": ("Ваш баланс", "Your balance"),
    "me.balance_worth": ("Номінальна вартість: {amount}", "Face value: {amount}"),
    "me.history_link": ("Історія RV", "RV history"),
    "me.not_registered_title": ("Очікує підтвердження", "Waiting for confirmation"),
    "me.not_registered": (
        "Рада громади ще не підтвердила, що ви мешканець. До того ви не можете надсилати справи "
        "чи голосувати. "
        "Зверніться до координатора або в ЦНАП.",
        "The council has not yet confirmed that you are a resident. Until then you cannot submit cases "
        "or vote. "
        "Ask your coordinator or the council's office.",
    ),
    "me.submit_case": ("Надіслати корисну справу", "Submit a useful case"),
    "me.vote_in": ("Голосувати: {title}", "Vote: {title}"),
    "me.recent": ("Останні дії", "Recent actions"),
    # history
    "history.title": ("Історія RV", "RV history"),
    "history.balance": ("Зараз на рахунку: {balance} RV.", "Balance now: {balance} RV."),
    "history.none": ("Ще немає жодного руху RV.", "No RV has moved yet."),
    "history.reward": ("Винагорода за справу №{case} ({programme})", "Reward for case #{case} ({programme})"),
    "history.escrow": ("Голос у раунді №{round}: RV утримано", "Ballot in round #{round}: RV held"),
    "history.burned": ("— витрачено при підбитті підсумків", "— spent when the round was finalised"),
    "history.refund": ("Повернено з раунду №{round}", "Returned from round #{round}"),
    "history.migration": ("Перенесення на новий гаманець", "Moved to a new wallet"),
    "history.burn": ("Спалено", "Burned"),
    "history.other": ("Інший рух", "Other movement"),
    # programmes
    "programmes.title": ("Програми корисних справ", "Useful-case programmes"),
    "programmes.lead": (
        "За кожну підтверджену справу програма нараховує RV. Оберіть програму й надішліть підтвердження.",
        "Each programme rewards a verified case with RV. Choose a programme and send your evidence.",
    ),
    "programmes.reward": ("Винагорода за справу", "Reward per case"),
    "programmes.value": ("Цінність справи для громади", "Value of a case to the hromada"),
    "programmes.window": ("Діє", "Open"),
    "programmes.left": ("Залишок RV", "RV left"),
    "programmes.left_of": ("{left} з {cap} RV", "{left} of {cap} RV"),
    "programmes.per_resident": ("Максимум на одну людину", "Most per person"),
    "programmes.submit": ("Надіслати справу", "Submit a case"),
    "programmes.none": ("Поки що немає програм.", "There are no programmes yet."),
    "programme.scheduled": ("ще не почалася", "not started"),
    "programme.open": ("відкрита", "open"),
    "programme.ended": ("завершилася", "ended"),
    "programme.paused": ("призупинена", "paused"),
    "programme.closed": ("закрита", "closed"),
    # cases
    "case_new.title": ("Надіслати корисну справу", "Submit a useful case"),
    "case_new.lead": (
        "Додайте фото або документ, що підтверджує справу. Файл бачать лише верифікатори; у блокчейн "
        "записується тільки його відбиток (SHA-256).",
        "Add a photo or document that shows the work. Only verifiers see the file; only its fingerprint "
        "(SHA-256) goes on the blockchain.",
    ),
    "case_new.programme": ("Програма", "Programme"),
    "case_new.programme_number": ("Програма №{id}", "Programme #{id}"),
    "case_new.evidence": ("Фото або документ", "Photo or document"),
    "case_new.evidence_again": ("Інший файл (необов'язково)", "Another file (optional)"),
    "case_new.evidence_hint": (
        "Фото (JPEG, PNG, WebP, HEIC) або PDF, до {limit}.",
        "A photo (JPEG, PNG, WebP, HEIC) or a PDF, up to {limit}.",
    ),
    "case_new.kept": (
        "Файл ({size}) уже отримано — обирати його знову не потрібно.",
        "Your file ({size}) was already received — no need to choose it again.",
    ),
    "case_new.submit": ("Надіслати справу", "Send the case"),
    "case_new.no_programmes": ("Зараз немає відкритих програм.", "No programme is open right now."),
    "cases.title": ("Мої справи", "My cases"),
    "cases.case": ("Справа №{id}", "Case #{id}"),
    "cases.submitted": ("Надіслано", "Submitted"),
    "cases.approvals": ("Схвалень", "Approvals"),
    "cases.sending": ("Надсилаються", "Being sent"),
    "cases.none": ("Ви ще не надсилали справ.", "You have not submitted any case yet."),
    "case.none": ("невідомо", "unknown"),
    "case.pending": ("на перевірці", "being checked"),
    "case.approved": ("схвалено", "approved"),
    "case.rejected": ("відхилено", "rejected"),
    # action status
    "action.refreshing": ("Сторінка оновлюється сама.", "This page refreshes by itself."),
    "action.refresh": ("Оновити зараз", "Refresh now"),
    "action.case_status": ("Стан справи:", "Status of the case:"),
    "action.case_next": (
        "Коли верифікатори схвалять справу, RV з'являться на вашому рахунку.",
        "When the verifiers approve the case, the RV appear on your account.",
    ),
    "status.queued": ("у черзі", "queued"),
    "status.submitted": ("надіслано", "sent"),
    "status.confirmed": ("готово", "done"),
    "status.failed": ("не вдалося", "failed"),
    "status.expired": ("прострочено", "expired"),
    "status.queued_message": (
        "Прийнято; чекає на відправлення в блокчейн.",
        "Accepted; waiting to be sent to the blockchain.",
    ),
    "status.submitted_message": (
        "Надіслано в блокчейн; чекаємо підтвердження.",
        "Sent to the blockchain; waiting for confirmation.",
    ),
    "status.confirmed_message": (
        "Готово: записано в блокчейн (блок {block}).",
        "Done: recorded on the blockchain in block {block}.",
    ),
    "status.retrying": ("Буде надіслано ще раз: {reason}", "Will be sent again: {reason}"),
    "kind.submitCase": ("Надсилання корисної справи", "Submitting a useful case"),
    "kind.recordCase": ("Запис справи за мешканця", "Recording a case for a resident"),
    "kind.approveCase": ("Схвалення справи", "Approving a case"),
    "kind.approveCases": ("Схвалення кількох справ", "Approving several cases"),
    "kind.rejectCase": ("Відхилення справи", "Rejecting a case"),
    "kind.castBallot": ("Голосування", "Casting a ballot"),
    "kind.withdrawBallot": ("Відкликання голосу", "Withdrawing a ballot"),
    "kind.pitchProject": ("Подання проєкту", "Pitching a project"),
    "kind.finalise": ("Підбиття підсумків раунду", "Finalising a round"),
    "kind.addResident": ("Реєстрація мешканця", "Registering a resident"),
    "kind.grantRole": ("Призначення координатора", "Appointing a coordinator"),
    "kind.createProgramme": ("Створення програми", "Creating a programme"),
    "kind.pauseProgramme": ("Призупинення програми", "Pausing a programme"),
    "kind.resumeProgramme": ("Відновлення програми", "Resuming a programme"),
    "kind.closeProgramme": ("Закриття програми", "Closing a programme"),
    "kind.createRound": ("Відкриття раунду", "Opening a round"),
    "kind.screenProject": ("Розгляд проєкту", "Screening a project"),
    "kind.deposit": ("Запис внеску до фонду", "Recording a deposit"),
    "kind.approveLoan": ("Схвалення позики", "Approving a loan"),
    "kind.disburseLoan": ("Видача позики", "Paying out a loan"),
    "kind.recordRepayment": ("Запис погашення позики", "Recording a repayment"),
    "kind.applyForLoan": ("Заява на позику", "Applying for a loan"),
    "kind.suspendResident": ("Призупинення мешканця", "Suspending a resident"),
    "kind.addResidents": ("Реєстрація мешканців", "Registering residents"),
    "kind.reinstateResident": ("Поновлення мешканця", "Reinstating a resident"),
    "kind.migrateResident": ("Перенесення мешканця на новий гаманець", "Moving a resident to a new wallet"),
    "kind.addVerifier": ("Додавання верифікатора", "Adding a verifier"),
    "kind.removeVerifier": ("Вилучення верифікатора", "Removing a verifier"),
    "kind.setQuorum": ("Зміна кількості схвалень", "Changing the approvals needed"),
    "kind.setRules": ("Зміна правил раунду", "Changing a round's rules"),
    "kind.cancelRound": ("Скасування раунду", "Cancelling a round"),
    "kind.refund": ("Повернення RV", "Refunding RV"),
    "kind.approveLoanByRound": (
        "Схвалення позики за результатом раунду",
        "Approving a loan by a round's result",
    ),
    "kind.openCycle": ("Новий звітний цикл", "Opening a reporting cycle"),
    "kind.payGrant": ("Виплата гранту", "Paying a grant"),
    "kind.releaseProjectFunds": ("Повернення коштів проєкту до фонду", "Releasing a project's funds"),
    "kind.rejectLoan": ("Відхилення позики", "Rejecting a loan"),
    "kind.cancelLoan": ("Скасування позики", "Cancelling a loan"),
    "kind.markDefaulted": ("Списання позики", "Writing off a loan"),
    "kind.settleCase": ("Перерахунок рішення щодо справи", "Settling a case"),
    "kind.other": ("Дія «{name}»", "Action “{name}”"),
    # rounds and votes
    "rounds.title": ("Голосування за проєкти", "Votes on projects"),
    "rounds.lead": (
        "У кожному раунді мешканці розподіляють свої RV між проєктами. Вага голосу — це квадратний корінь "
        "із відданих RV, тож кілька людей важать більше, ніж одна з багатьма RV.",
        "In each round residents spread their RV over projects. A vote's weight is the square root of the RV "
        "given, so several people count for more than one person with many RV.",
    ),
    "rounds.none": ("Раундів ще не було.", "There have been no rounds yet."),
    "round.untitled": ("Раунд №{id}", "Round #{id}"),
    "round.details": ("Умови раунду", "Rules of the round"),
    "round.fund": ("Фонд раунду", "Fund of the round"),
    "round.projects": ("Проєкти", "Projects"),
    "round.pitch_until": ("Подання проєктів до", "Pitching until"),
    "round.screen_until": ("Розгляд радою до", "Council screening until"),
    "round.vote_until": ("Голосування до", "Voting until"),
    "round.rule": ("Правило розподілу", "Allocation rule"),
    "round.ballot_rules": ("Бюлетень", "Ballot"),
    "round.ballot_rules_text": ("від {min} до {max} проєктів", "from {min} to {max} projects"),
    "round.max_credits": ("; не більше {max} RV на проєкт", "; at most {max} RV per project"),
    "round.voters": ("Проголосувало", "Voters"),
    "round.pitch": ("Подати проєкт", "Pitch a project"),
    "round.export": ("Бюлетені у форматі pabulib", "Ballots as a pabulib file"),
    "round.tallying_lead": (
        "Голосування завершено. Підбити підсумки може будь-хто — результат визначає блокчейн.",
        "Voting has closed. Anyone may finalise the round: the blockchain computes the result.",
    ),
    "round.finalise": ("Підбити підсумки", "Finalise the round"),
    "round.results": ("Результати", "Results"),
    "round.results_total": ("Профінансовано {funded} із {fund}.", "{funded} of {fund} funded."),
    "round.funded": ("Отримує {funded} (запит {ask})", "Receives {funded} (asked {ask})"),
    "round.funded_total": ("Профінансовано", "Funded"),
    "round.tally_line": (
        "вага {weight}, {credits} RV, підтримали {supporters}",
        "weight {weight}, {credits} RV, {supporters} supporters",
    ),
    "round.no_projects": ("Проєктів немає.", "No projects."),
    "round.scheduled": ("заплановано", "scheduled"),
    "round.pitching": ("подання проєктів", "pitching"),
    "round.screening": ("розгляд радою", "screening"),
    "round.voting": ("голосування триває", "voting open"),
    "round.tallying": ("голосування завершено", "voting closed"),
    "round.finalised": ("підсумки підбито", "finalised"),
    "round.cancelled": ("скасовано", "cancelled"),
    "rule.quadratic_funding": ("квадратичне фінансування", "quadratic funding"),
    "rule.proportional": ("пропорційно до ваги", "proportional to weight"),
    "rule.greedy": ("за вагою, поки вистачає фонду", "by weight while the fund lasts"),
    "project.untitled": ("Проєкт №{id}", "Project #{id}"),
    "project.ask": ("Запит", "Ask"),
    "project.tally": ("Підсумки", "Tally"),
    "project.pitched": ("на розгляді", "awaiting screening"),
    "project.eligible": ("допущено", "eligible"),
    "project.ineligible": ("не допущено", "not eligible"),
    "vote.title": ("Ваш бюлетень", "Your ballot"),
    "vote.lead": (
        "Впишіть, скільки RV віддати кожному проєкту. Можна змінювати голос до кінця голосування.",
        "Write how many RV to give each project. You may change your ballot until voting closes.",
    ),
    "vote.available": ("Доступно для голосування: {available} RV.", "Available to vote: {available} RV."),
    "vote.used": ("Віддано:", "Given:"),
    "vote.left": ("залишок:", "left:"),
    "vote.over": ("Ви віддали більше RV, ніж маєте.", "You are giving more RV than you have."),
    "vote.ask": ("Запит: {ask}", "Ask: {ask}"),
    "vote.credits_for": ("RV для «{title}»", "RV for “{title}”"),
    "vote.your_weight": ("Вага вашого голосу:", "Weight of your vote:"),
    "vote.project_weight": ("вага проєкту з вашим голосом:", "project's weight with your vote:"),
    "vote.how": (
        "Вага = квадратний корінь із RV: 1 RV → 1, 4 RV → 2, 9 RV → 3. Віддані RV витрачаються, коли "
        "підбивають підсумки.",
        "Weight = square root of the RV: 1 RV → 1, 4 RV → 2, 9 RV → 3. RV given are spent when the round "
        "is finalised.",
    ),
    "vote.preview": ("Переглянути вагу", "Preview the weights"),
    "vote.cast": ("Проголосувати", "Cast my vote"),
    "vote.withdraw": ("Відкликати мій голос", "Withdraw my ballot"),
    "vote.none": ("Віддайте хоча б 1 RV одному з проєктів.", "Give at least 1 RV to one of the projects."),
    "vote.residents_only": (
        "Голосують зареєстровані мешканці громади.",
        "Registered residents of the hromada vote.",
    ),
    "pitch.title": ("Подати проєкт", "Pitch a project"),
    "pitch.lead": ("Раунд «{round}», фонд {fund}.", "Round “{round}”, fund {fund}."),
    "pitch.project_title": ("Назва проєкту", "Project title"),
    "pitch.description": ("Опис", "Description"),
    "pitch.description_hint": (
        "Що зробите, для кого, коли. Опис публікується для всіх.",
        "What you will do, for whom, by when. The description is public.",
    ),
    "pitch.ask": ("Потрібна сума", "Amount needed"),
    "pitch.submit": ("Подати проєкт", "Pitch the project"),
    # verifiers
    "verify.title": ("Справи на перевірку", "Cases to check"),
    "verify.lead": (
        "Перегляньте підтвердження і схваліть або відхиліть справу. Можна позначити кілька справ і схвалити "
        "їх разом.",
        "Look at the evidence, then approve or reject the case. You can tick several cases and approve them "
        "together.",
    ),
    "verify.count": ("Справ у черзі: {count}", "Cases waiting: {count}"),
    "verify.empty": ("Усі справи перевірено. Дякуємо!", "All cases are checked. Thank you!"),
    "verify.resident": ("Мешканець", "Resident"),
    "verify.recorded_by": ("Записав", "Recorded by"),
    "verify.unknown_person": ("(власний гаманець)", "(own wallet)"),
    "verify.approvals_of": ("{count} з {quorum}", "{count} of {quorum}"),
    "verify.evidence": ("Переглянути підтвердження", "View the evidence"),
    "verify.no_file": (
        "Файлу підтвердження на цьому сервері немає.",
        "The evidence file is not on this server.",
    ),
    "verify.approve_one": ("Схвалити справу №{id}", "Approve case #{id}"),
    "verify.open": ("Відкрити справу №{id}", "Open case #{id}"),
    "verify.approve_selected": ("Схвалити позначені", "Approve selected"),
    "verify.none_selected": ("Позначте хоча б одну справу.", "Tick at least one case."),
    "verify.too_many": ("Не більше {max} справ за раз.", "At most {max} cases at once."),
    "verify.hash": ("Відбиток файлу (SHA-256)", "File fingerprint (SHA-256)"),
    "verify.photo_alt": ("Фото-підтвердження справи №{id}", "Photo evidence of case #{id}"),
    "verify.reason": ("Причина відхилення", "Reason for rejecting"),
    "verify.reject": ("Відхилити справу №{id}", "Reject case #{id}"),
    "reason.1": ("Підтвердження нечитабельне", "The evidence cannot be read"),
    "reason.2": ("Не відповідає програмі", "Does not match the programme"),
    "reason.3": ("Повтор уже врахованої справи", "Repeats a case already counted"),
    "reason.4": ("Інша причина", "Another reason"),
    "record.title": ("Записати справу за мешканця", "Record a case for a resident"),
    "record.lead": (
        "Для мешканців без смартфона чи інтернету: оберіть людину, програму й додайте фото або скан.",
        "For residents without a smartphone or internet: choose the person and the programme, and add "
        "a photo "
        "or scan.",
    ),
    "record.resident": ("Мешканець", "Resident"),
    # council
    "council.nav": ("Розділи ради", "Council sections"),
    "council.residents": ("Мешканці", "Residents"),
    "council.programmes": ("Програми", "Programmes"),
    "council.rounds": ("Раунди", "Rounds"),
    "council.fund": ("Фонд", "Fund"),
    "council.residents_count": (
        "{residents} зареєстровано, {active} активних",
        "{residents} registered, {active} active",
    ),
    "council.register": ("Зареєструвати мешканця", "Register a resident"),
    "council.register_lead": (
        "Після перевірки особи (паспорт, ID-картка, довідка). У блокчейн іде лише захищений відбиток номера "
        "перевірки — жодних персональних даних.",
        "After the identity check (passport, ID card, certificate). Only a keyed fingerprint of the check's "
        "reference goes on the blockchain — no personal data.",
    ),
    "council.person": ("Кого зареєструвати", "Person to register"),
    "council.coordinator": ("Координатор", "Coordinator"),
    "council.identity_check": ("Номер перевірки особи", "Identity check reference"),
    "council.identity_check_hint": (
        "Наприклад номер запису в журналі ЦНАП. Один запис — одна людина.",
        "For example the entry number in the office's register. One entry, one person.",
    ),
    "council.register_submit": ("Зареєструвати", "Register"),
    "council.no_candidates": (
        "Усі, хто зареєструвався, уже підтверджені.",
        "Everyone who signed up is confirmed.",
    ),
    "council.coordinators": ("Координатори", "Coordinators"),
    "council.coordinators_lead": (
        "Координатор може записувати справи за мешканців, які не мають інтернету.",
        "A coordinator can record cases for residents who are offline.",
    ),
    "council.appoint": ("Надати права координатора", "Appoint as coordinator"),
    "council.no_coordinators": ("Немає координаторів без прав.", "Every coordinator already has the role."),
    "council.pause": ("Призупинити «{title}»", "Pause “{title}”"),
    "council.resume": ("Відновити «{title}»", "Resume “{title}”"),
    "council.close": ("Закрити «{title}» назавжди", "Close “{title}” for good"),
    "council.cases_figures": ("Справи", "Cases"),
    "council.cases_line": (
        "надіслано {submitted}, схвалено {approved}, відхилено {rejected}",
        "{submitted} submitted, {approved} approved, {rejected} rejected",
    ),
    "council.new_programme": ("Нова програма", "New programme"),
    "council.programme_title": ("Назва", "Title"),
    "council.title_hint": (
        "До 200 байтів (приблизно 100 українських літер).",
        "Up to 200 bytes (about 100 Cyrillic letters).",
    ),
    "council.programme_description": ("Опис (необов'язково)", "Description (optional)"),
    "council.reward": ("Винагорода за справу, RV", "Reward per case, RV"),
    "council.case_value": ("Цінність однієї справи для громади", "Value of one case to the hromada"),
    "council.token_cap": ("Усього RV у програмі", "RV in the programme in all"),
    "council.token_cap_hint": (
        "Фонд резервує цю кількість × {face} номінальної вартості.",
        "The fund reserves this many × {face} face value.",
    ),
    "council.per_resident_cap": ("Максимум RV на одну людину", "Most RV per person"),
    "council.days": ("Тривалість, днів", "Duration, days"),
    "council.days_hint": ("Починається одразу.", "Starts at once."),
    "council.verifiers": ("Верифікатори", "Verifiers"),
    "council.quorum": ("Скільки схвалень потрібно", "Approvals needed"),
    "council.quorum_hint": ("Не більше, ніж обрано верифікаторів.", "No more than the verifiers chosen."),
    "council.create_programme": ("Створити програму", "Create the programme"),
    "council.verifiers_needed": ("Оберіть хоча б одного верифікатора.", "Choose at least one verifier."),
    "council.quorum_too_big": ("Обрано лише {count} верифікаторів.", "Only {count} verifiers are chosen."),
    "council.cap_below_reward": (
        "Має вистачати хоча б на одну винагороду.",
        "It must hold at least one reward.",
    ),
    "council.per_resident_invalid": (
        "Не менше за винагороду і не більше за загальну кількість RV.",
        "At least one reward, and no more than the programme's RV.",
    ),
    "council.new_round": ("Новий раунд голосування", "New voting round"),
    "council.round_title": ("Назва раунду", "Title of the round"),
    "council.round_description": ("Опис (необов'язково)", "Description (optional)"),
    "council.pitch_days": ("Подання проєктів, днів", "Pitching, days"),
    "council.screen_days": ("Розгляд радою, днів", "Screening, days"),
    "council.vote_days": ("Голосування, днів", "Voting, days"),
    "council.max_projects": ("Найбільше проєктів у раунді", "Most projects in the round"),
    "council.min_per_ballot": ("Найменше проєктів у бюлетені", "Fewest projects per ballot"),
    "council.max_per_ballot": ("Найбільше проєктів у бюлетені", "Most projects per ballot"),
    "council.max_credits": ("Найбільше RV на один проєкт", "Most RV on one project"),
    "council.max_credits_hint": ("0 — без обмеження.", "0 for no limit."),
    "council.ballot_sizes": ("Має бути не менше за найменшу кількість.", "Must be at least the fewest."),
    "council.create_round": ("Відкрити раунд", "Open the round"),
    "council.screening": ("Розгляд проєктів", "Screening"),
    "council.eligible": ("Допустити «{title}»", "Make “{title}” eligible"),
    "council.ineligible": ("Не допустити «{title}»", "Mark “{title}” ineligible"),
    "council.ineligible_reason": ("Причина недопуску", "Reason if ineligible"),
    "screening.1": ("Не відповідає правилам раунду", "Does not meet the round's rules"),
    "screening.2": ("Неповний опис", "Incomplete description"),
    "screening.3": ("Інша причина", "Another reason"),
    "council.deposit": ("Записати внесок до фонду", "Record a deposit"),
    "council.amount": ("Сума", "Amount"),
    "council.source": ("Джерело", "Source"),
    "council.source_ref": ("Підстава (договір, рішення)", "Basis (agreement, decision)"),
    "council.source_ref_hint": (
        "Наприклад «Договір з донором №12 від 01.03.2025».",
        "For example “Donor agreement no. 12 of 1 March 2025”.",
    ),
    "council.receipt": ("Номер платіжного документа", "Payment receipt number"),
    "council.receipt_hint": (
        "Кожен документ записується лише раз; у блокчейн іде його відбиток.",
        "Each receipt is recorded once; its fingerprint goes on the blockchain.",
    ),
    "council.deposit_submit": ("Записати внесок", "Record the deposit"),
    "source.0": ("Донор", "Donor"),
    "source.1": ("Місцевий бюджет", "Local budget"),
    "source.2": ("Інше", "Other"),
    "council.loans": ("Безвідсоткові позики", "Interest-free loans"),
    "council.loan": ("Позика №{id}", "Loan #{id}"),
    "council.principal": ("Сума позики", "Principal"),
    "council.repaid": ("Повернено", "Repaid"),
    "council.outstanding": ("Залишок боргу", "Outstanding"),
    "council.approve_loan": ("Схвалити позику №{id}", "Approve loan #{id}"),
    "council.disburse": ("Записати видачу позики №{id}", "Record payout of loan #{id}"),
    "council.repayment": ("Записати погашення позики №{id}", "Record a repayment of loan #{id}"),
    "council.no_loans": ("Заяв на позики немає.", "There are no loan applications."),
    "loan.none": ("невідомо", "unknown"),
    "loan.applied": ("заява", "applied"),
    "loan.approved": ("схвалено", "approved"),
    "loan.rejected": ("відхилено", "rejected"),
    "loan.active": ("видано", "active"),
    "loan.overdue": ("прострочено", "overdue"),
    "loan.repaid": ("погашено", "repaid"),
    "loan.defaulted": ("списано", "written off"),
    "loan.cancelled": ("скасовано", "cancelled"),
    # public figures
    "public.title": ("Звітність громади", "Public figures"),
    "public.lead": (
        "Громада «{name}». Кожне число прочитано зі смарт-контрактів громади. Незалежний звіт аудиту "
        "перераховує все з подій блокчейну.",
        "Hromada “{name}”. Every figure is read from the hromada's contracts. The independent audit report "
        "recomputes everything from the blockchain's events.",
    ),
    "public.report": ("Звіт аудиту", "Audit report"),
    "public.impact": ("Коефіцієнт впливу", "Impact ratio"),
    "public.impact_formula": (
        "(цінність справ + фонд токенів) ÷ фонд токенів",
        "(value of cases + token fund) ÷ token fund",
    ),
    "public.cases_value": ("Цінність схвалених справ", "Value of approved cases"),
    "public.cases_approved": ("Схвалено справ", "Cases approved"),
    "public.rv_issued": ("Нараховано RV", "RV issued"),
    "public.rv_supply": ("RV в обігу", "RV in circulation"),
    "public.rv_burned": ("Витрачено RV у голосуваннях", "RV spent in votes"),
    "public.face_value": ("Номінал 1 RV", "Face value of 1 RV"),
    "public.residents": ("Мешканці", "Residents"),
    "public.lent": ("Видано позик", "Lent"),
    "public.repaid": ("Повернено позик", "Repaid"),
    "public.ledger": ("Книга фонду", "The fund's ledger"),
    "public.programmes": ("Програми", "Programmes"),
    "public.programme": ("Програма", "Programme"),
    "public.state": ("Стан", "State"),
    "public.rv_minted": ("RV", "RV"),
    "public.value": ("Цінність", "Value"),
    "public.rounds": ("Раунди голосування", "Voting rounds"),
    "public.project": ("Проєкт", "Project"),
    "public.weight": ("Вага", "Weight"),
    "public.credits": ("RV", "RV"),
    "public.supporters": ("Людей", "People"),
    "public.funded": ("Отримує", "Funded"),
    "ledger.deposits": ("Усього внесків", "Deposits in all"),
    "ledger.available": ("Вільний капітал", "Available capital"),
    "ledger.programmeReserves": ("Резерв програм", "Programme reserves"),
    "ledger.tokenFund": ("Фонд токенів", "Token fund"),
    "ledger.roundReserves": ("Резерв раундів", "Round reserves"),
    "ledger.committed": ("Призначено проєктам", "Committed to projects"),
    "ledger.loansOutstanding": ("Позики до повернення", "Loans outstanding"),
    "ledger.grantsPaid": ("Виплачено грантів", "Grants paid"),
    "ledger.writtenOff": ("Списано", "Written off"),
    "audit.report_title": ("Звіт аудиту", "Audit report"),
    "audit.export_title": ("Бюлетені раунду (pabulib)", "Ballots of the round (pabulib)"),
    "audit.cannot": (
        "Цей сервер зараз не може сам скласти файл.",
        "This server cannot produce the file itself right now.",
    ),
    "audit.how": (
        "Будь-хто може скласти його з даних блокчейну такою командою (пакет cts):",
        "Anyone can produce it from the blockchain's data with this command (the cts package):",
    ),
    "audit.verify": (
        "Звіт не довіряє серверу громади: усі числа перераховуються з подій блокчейну.",
        "The report does not trust the hromada's server: every figure is recomputed from blockchain events.",
    ),
    # errors pages
    "error.title": ("Щось пішло не так", "Something went wrong"),
    "error.forbidden": ("Немає доступу", "Not allowed"),
    "error.not_found": ("Сторінку не знайдено", "Page not found"),
    "error.unavailable": ("Тимчасово недоступно", "Temporarily unavailable"),
    "error.retry": ("Спробувати ще раз", "Try again"),
    "error.home": ("На головну", "Go to the home page"),
    # evidence
    "evidence.evidence_missing": ("Додайте фото або документ.", "Add a photo or document."),
    "evidence.evidence_too_large": (
        "Файл завеликий: найбільше {limit}. Зменште фото або надішліть інший файл.",
        "The file is too large: at most {limit}. Make the photo smaller or send another file.",
    ),
    "evidence.evidence_type": (
        "Такий файл не підходить: надішліть фото (JPEG, PNG, WebP, HEIC) або документ PDF.",
        "This kind of file is not accepted: send a photo (JPEG, PNG, WebP, HEIC) or a PDF document.",
    ),
}

# ---------------------------------------------------------------- errors by code

ERRORS: dict[str, tuple[str, str]] = {
    # cts.errors
    "internal_error": (
        "Щось пішло не так з нашого боку. Спробуйте трохи пізніше.",
        "Something went wrong on our side. Please try again later.",
    ),
    "bad_request": ("Запит не вдалося обробити.", "The request could not be processed."),
    "not_authenticated": ("Будь ласка, увійдіть.", "Please sign in."),
    "session_expired": (
        "Ваш сеанс завершився. Увійдіть знову.",
        "Your session has ended. Please sign in again.",
    ),
    "invalid_credentials": (
        "Номер телефону або e-mail і пароль не збігаються.",
        "The phone number or e-mail and the password do not match.",
    ),
    "permission_denied": ("Вам не дозволено цю дію.", "You are not allowed to do this."),
    "role_required": (
        "Ця сторінка чи дія не для вашої ролі.",
        "This page or action is not for your role.",
    ),
    "account_disabled": (
        "Цей обліковий запис вимкнено. Зверніться до координатора громади.",
        "This account is disabled. Please contact your hromada's coordinator.",
    ),
    "not_found": ("Такого не знайдено.", "Not found."),
    "conflict": ("Це суперечить поточному стану.", "This conflicts with the current state."),
    "account_exists": (
        "Обліковий запис із цим номером телефону або e-mail уже існує. Спробуйте увійти.",
        "An account with this phone number or e-mail already exists. Try signing in.",
    ),
    "invalid_input": ("Деякі значення неприйнятні.", "Some values are not acceptable."),
    "validation_error": (
        "Деякі поля не заповнено або заповнено неправильно.",
        "Some fields are missing or wrong.",
    ),
    "rate_limited": (
        "Забагато спроб поспіль. Зачекайте кілька хвилин і спробуйте знову.",
        "Too many attempts in a row. Please wait a few minutes and try again.",
    ),
    "service_unavailable": (
        "Сервіс тимчасово недоступний. Спробуйте за хвилину.",
        "The service is temporarily unavailable. Please try again in a minute.",
    ),
    "keystore_error": (
        "Щось пішло не так з нашого боку. Спробуйте трохи пізніше.",
        "Something went wrong on our side. Please try again later.",
    ),
    "idempotency_key_reused": (
        "Цю форму вже використано для іншої дії. Відкрийте форму знову.",
        "This form was already used for another action. Please open the form again.",
    ),
    # the relayer
    "chain_unavailable": (
        "Блокчейн зараз недоступний (можливо, через відключення світла), тож нічого не зроблено. Надішліть "
        "форму ще раз за хвилину — введене збережено.",
        "The blockchain cannot be reached right now (perhaps a power cut), so nothing was done. "
        "Send the form "
        "again in a minute — what you typed is kept.",
    ),
    "not_sponsored": (
        "Ця дія недоступна для вашої ролі.",
        "This action is not available to your role.",
    ),
    "gas_budget_exceeded": (
        "На сьогодні ви використали ліміт дій. Спробуйте завтра.",
        "You have used today's allowance of actions. Please try again tomorrow.",
    ),
    "relayer_not_configured": (
        "Сервіс ще не налаштовано для жодної громади. Повідомте адміністратора.",
        "The service is not set up for any hromada yet. Please tell the administrator.",
    ),
    # the relayer's worker
    "refused_on_chain": (
        "Блокчейн відхилив дію під час виконання (стан міг змінитися). Перевірте й спробуйте знову.",
        "The blockchain refused the action when it ran (things may have changed meanwhile). "
        "Check and try again.",
    ),
    "batch_reverted": (
        "Транзакцію не виконано; її буде надіслано ще раз.",
        "The transaction failed; it will be sent again.",
    ),
    "batch_lost": (
        "Транзакцію втрачено; її буде надіслано ще раз.",
        "The transaction was lost; it will be sent again.",
    ),
    "request_skipped": (
        "Запит прострочився дорогою; його буде надіслано ще раз.",
        "The request expired on the way; it will be sent again.",
    ),
    "request_expired": ("Підписаний запит прострочився.", "The signed request expired."),
    "outcome_unknown": (
        "Дію виконано в транзакції, якої сервіс не знайшов, тому її не надсилали вдруге. Перевірте результат "
        "або зверніться до адміністратора.",
        "The action ran in a transaction the service could not find, so it was not sent a second time. "
        "Check the result or ask the administrator.",
    ),
    "signer_unavailable": (
        "Обліковий запис, що просив дію, більше не існує.",
        "The account that asked no longer exists.",
    ),
    "nonce_used": ("Цей підписаний запит уже використано.", "This signed request was already used."),
    # the pages
    "csrf_failed": (
        "Форма застаріла або відкрита в іншому вікні. Перевірте дані й надішліть ще раз.",
        "The form has expired or was opened in another window. Check it and send it again.",
    ),
    "form_key_missing": (
        "Форму надіслано не повністю. Перевірте дані й надішліть ще раз.",
        "The form arrived incomplete. Check it and send it again.",
    ),
    # the contracts' refusals (cts.relayer.errors names them after the custom errors)
    "resident_registry_not_active": (
        "Рада громади ще не підтвердила вас як мешканця (або вашу участь призупинено).",
        "The council has not confirmed you as a resident yet (or your participation is suspended).",
    ),
    "access_control_unauthorized_account": (
        "Ваш обліковий запис не має прав для цієї дії в блокчейні.",
        "Your account does not hold the role this action needs on the blockchain.",
    ),
    "useful_case_not_verifier": (
        "Ви не верифікатор цієї програми.",
        "You are not a verifier of this programme.",
    ),
    "useful_case_self_approval": (
        "Не можна вирішувати власну справу чи справу, яку ви записали.",
        "You cannot decide your own case or one you recorded.",
    ),
    "useful_case_unknown_programme": ("Такої програми немає.", "There is no such programme."),
    "useful_case_unknown_case": ("Такої справи немає.", "There is no such case."),
    "balanced_vote_unknown_round": ("Такого раунду немає.", "There is no such round."),
    "balanced_vote_unknown_project": (
        "Такого проєкту в раунді немає.",
        "There is no such project in this round.",
    ),
    "community_fund_unknown_loan": ("Такої позики немає.", "There is no such loan."),
    "resident_registry_unknown_resident": ("Такого мешканця немає.", "There is no such resident."),
    "useful_case_unexpected_programme_state": (
        "Програма зараз не приймає цього (не почалася, завершилася, призупинена чи закрита).",
        "The programme does not take this now (not started, ended, paused or closed).",
    ),
    "balanced_vote_unexpected_round_state": (
        "Раунд зараз на іншому етапі — оновіть сторінку.",
        "The round is at another stage now — refresh the page.",
    ),
    "community_fund_unexpected_loan_state": (
        "Позика зараз на іншому етапі.",
        "The loan is at another stage now.",
    ),
    "resident_registry_unexpected_status": (
        "Стан мешканця не дозволяє цього.",
        "The resident's status does not allow this.",
    ),
    "useful_case_duplicate_evidence": (
        "Це підтвердження вже використано для іншої справи. Додайте нове фото чи документ.",
        "This evidence was already used for another case. Add a new photo or document.",
    ),
    "useful_case_already_decided": ("Ви вже вирішили цю справу.", "You have already decided this case."),
    "useful_case_not_pending": ("Цю справу вже вирішено.", "This case is already decided."),
    "useful_case_programme_cap_exceeded": (
        "У програмі закінчилися RV для цієї справи.",
        "The programme has no RV left for this case.",
    ),
    "useful_case_resident_cap_exceeded": (
        "Досягнуто ліміту цієї програми на одну людину.",
        "The programme's limit per person has been reached.",
    ),
    "useful_case_invalid_caps": (
        "Ліміти RV неузгоджені: загальний ліміт має вміщати винагороду, а ліміт на людину — не перевищувати "
        "загальний.",
        "The RV caps do not fit: the programme's cap must hold a reward, and the per-person cap "
        "must not exceed it.",
    ),
    "useful_case_invalid_window": ("Строк програми неправильний.", "The programme's window is not valid."),
    "useful_case_invalid_quorum": (
        "Кількість схвалень має бути від 1 до кількості верифікаторів.",
        "Approvals needed must be between 1 and the number of verifiers.",
    ),
    "useful_case_title_too_long": (
        "Назва задовга: не більше 200 байтів (приблизно 100 українських літер).",
        "The title is too long: at most 200 bytes (about 100 Cyrillic letters).",
    ),
    "useful_case_empty_title": ("Вкажіть назву програми.", "Give the programme a title."),
    "useful_case_duplicate_verifier": ("Верифікатора вказано двічі.", "A verifier is named twice."),
    "useful_case_too_many_verifiers": (
        "У програмі забагато верифікаторів.",
        "The programme has too many verifiers.",
    ),
    "useful_case_not_settleable": (
        "Справа ще не набрала потрібної кількості схвалень чи відхилень.",
        "The case has not yet met the approvals or rejections it needs.",
    ),
    "useful_case_batch_too_large": ("Забагато справ за один раз.", "Too many cases at once."),
    "useful_case_empty_batch": ("Позначте хоча б одну справу.", "Tick at least one case."),
    "useful_case_resident_not_active": (
        "Участь мешканця цієї справи призупинено, тож зараз її не можна винагородити.",
        "The resident of this case is suspended; it cannot be rewarded now.",
    ),
    "resident_registry_system_contract": (
        "Ця адреса належить одному з контрактів громади.",
        "This address belongs to one of the hromada's contracts.",
    ),
    "resident_registry_address_in_use": (
        "Цей обліковий запис уже зареєстровано.",
        "This account is already registered.",
    ),
    "resident_registry_identity_in_use": (
        "Цю перевірку особи вже прив'язано до іншого мешканця.",
        "This identity check is already registered to another resident.",
    ),
    "community_fund_duplicate_receipt": (
        "Цей платіжний документ уже записано.",
        "This receipt was already recorded.",
    ),
    "community_fund_insufficient_capital": (
        "У фонді недостатньо вільного капіталу для цього.",
        "The fund does not have enough available capital for this.",
    ),
    "balanced_vote_round_full": ("Раунд більше не приймає проєктів.", "This round takes no more projects."),
    "balanced_vote_no_ballot": ("У вас немає голосу в цьому раунді.", "You have no ballot in this round."),
    "balanced_vote_insufficient_rv": (
        "У вас недостатньо RV для такого голосу. Зменште кількість RV.",
        "You do not have enough RV for this ballot. Give fewer RV.",
    ),
    "balanced_vote_project_not_eligible": (
        "Один із проєктів не допущено до голосування.",
        "One of the projects is not eligible.",
    ),
    "balanced_vote_duplicate_project": ("Проєкт указано двічі.", "A project appears twice."),
    "balanced_vote_projects_not_sorted": ("Проєкти мають іти за порядком.", "Projects must be in order."),
    "balanced_vote_ballot_size": (
        "Замало або забагато проєктів у бюлетені для правил цього раунду.",
        "Too few or too many projects in the ballot for this round's rules.",
    ),
    "balanced_vote_credits_above_cap": (
        "Забагато RV на один проєкт за правилами раунду.",
        "Too many RV on one project for this round's rules.",
    ),
    "balanced_vote_zero_credits": (
        "Кожен проєкт у бюлетені потребує щонайменше 1 RV.",
        "Every project in a ballot needs at least 1 RV.",
    ),
    "balanced_vote_empty_ballot": (
        "Віддайте хоча б 1 RV одному з проєктів.",
        "Give at least 1 RV to one of the projects.",
    ),
    "balanced_vote_ask_exceeds_fund": (
        "Запит більший за фонд раунду.",
        "The ask is larger than the round's fund.",
    ),
    "balanced_vote_loan_mismatch": (
        "Позика не відповідає вашій заяві на цю суму.",
        "The loan does not match your application for this amount.",
    ),
    "balanced_vote_invalid_windows": ("Строки раунду неправильні.", "The round's windows are not valid."),
    "balanced_vote_invalid_rules": (
        "Правила бюлетеня неузгоджені з кількістю проєктів.",
        "The ballot rules do not fit the number of projects.",
    ),
    "balanced_vote_invalid_max_projects": (
        "Неприйнятна найбільша кількість проєктів.",
        "The most projects allowed is not valid.",
    ),
    "community_fund_repayment_too_large": (
        "Погашення більше за залишок боргу.",
        "The repayment is more than is owed.",
    ),
    "community_fund_invalid_schedule": (
        "Графік погашення неправильний.",
        "The instalment schedule is not valid.",
    ),
    "community_fund_project_not_payable": (
        "Цей проєкт не профінансовано або вже виплачено.",
        "This project is not funded, or was already paid.",
    ),
    "rv_token_recipient_not_resident": (
        "Одержувач не є активним мешканцем.",
        "The recipient is not an active resident.",
    ),
    "erc2771_forwarder_invalid_signer": (
        "Цей підписаний запит більше не дійсний.",
        "This signed request is not valid any more.",
    ),
    "erc2771_forwarder_expired_request": (
        "Підписаний запит прострочився.",
        "This signed request has expired.",
    ),
}

GENERIC_ERROR = (
    "Не вдалося виконати дію (код: {code}). Спробуйте ще раз або зверніться до координатора.",
    "The action could not be done (code: {code}). Try again, or contact your coordinator.",
)


def normalise_code(code: str) -> str:
    return code.replace("_", "").lower()


_ERRORS_BY_CODE = {normalise_code(code): texts for code, texts in ERRORS.items()}


# ---------------------------------------------------------------- formats


@cache
def kyiv() -> tuple[tzinfo, tuple[str, str]]:
    """Kyiv time (the zone database's old name on older systems), or UTC where no zone database exists."""
    for name in ("Europe/Kyiv", "Europe/Kiev"):
        try:
            return ZoneInfo(name), ("за київським часом", "Kyiv time")
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC, ("UTC", "UTC")


def group_digits(number: int, separator: str) -> str:
    text = str(abs(number))
    groups: list[str] = []
    while len(text) > 3:
        groups.insert(0, text[-3:])
        text = text[:-3]
    groups.insert(0, text)
    return ("-" if number < 0 else "") + separator.join(groups)


class Translator:
    """The strings and formats of one language."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self._index = 0 if lang == Language.UK else 1

    def __call__(self, key: str, **params: Any) -> str:
        texts = MESSAGES.get(key)
        if texts is None:
            return key
        text = texts[self._index]
        return text.format(**params) if params else text

    def kind(self, name: str) -> str:
        """What an action is called (the contract function it calls), with a fallback for a new one."""
        if f"kind.{name}" in MESSAGES:
            return self(f"kind.{name}")
        return self("kind.other", name=name)

    def error(self, code: str | None, detail: str | None = None) -> str:
        """The message for an error code; the service's English detail only where we have no text."""
        texts = _ERRORS_BY_CODE.get(normalise_code(code or "internal_error"))
        if texts is not None:
            return texts[self._index]
        if self.lang == Language.EN and detail:
            return detail
        return GENERIC_ERROR[self._index].format(code=code)

    # ------------------------------------------------------------ formats

    @property
    def decimal_separator(self) -> str:
        return "," if self.lang == Language.UK else "."

    def uah(self, kopiyky: int) -> str:
        """Money: 1 234,50 грн / UAH 1,234.50 (whole hryvnias without decimals)."""
        kopiyky = int(kopiyky)
        hryvnias, rest = divmod(abs(kopiyky), 100)
        sign = "−" if kopiyky < 0 else ""
        if self.lang == Language.UK:
            text = group_digits(hryvnias, NBSP) + (f",{rest:02d}" if rest else "")
            return f"{sign}{text}{NBSP}грн"
        text = group_digits(hryvnias, ",") + (f".{rest:02d}" if rest else "")
        return f"{sign}UAH{NBSP}{text}"

    def weight(self, weight: int) -> str:
        """A quadratic weight (nine decimals on chain) with three decimals, rounded down."""
        whole, fraction = divmod(int(weight), 10**9)
        separator = NBSP if self.lang == Language.UK else ","
        return f"{group_digits(whole, separator)}{self.decimal_separator}{fraction // 10**6:03d}"

    def ratio(self, bps: int) -> str:
        """An impact ratio from basis points (45_788 -> 4,58), rounded half up to hundredths."""
        hundredths = (int(bps) + 50) // 100
        return f"{hundredths // 100}{self.decimal_separator}{hundredths % 100:02d}"

    def when(self, timestamp: int) -> str:
        if not timestamp:
            return "—"
        zone, _ = kyiv()
        moment = datetime.fromtimestamp(int(timestamp), zone)
        return self._moment(moment)

    def when_datetime(self, moment: datetime) -> str:
        zone, _ = kyiv()
        return self._moment(moment.astimezone(zone))

    def _moment(self, moment: datetime) -> str:
        if self.lang == Language.UK:
            return moment.strftime("%d.%m.%Y, %H:%M")
        return f"{moment.day} {EN_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"

    @property
    def zone_name(self) -> str:
        return kyiv()[1][self._index]

    def filesize(self, size: int) -> str:
        units = ("Б", "КБ", "МБ") if self.lang == Language.UK else ("B", "KB", "MB")
        value, unit = float(size), 0
        while value >= 1024 and unit < 2:
            value /= 1024
            unit += 1
        text = f"{value:.1f}" if value < 10 and unit else f"{value:.0f}"
        return f"{text.replace('.', self.decimal_separator)}{NBSP}{units[unit]}"
