/**
 * Every word of the waiting page, per language. The server renders the shell with these and hands
 * the same set to the page's script (web/waiting imports only the type), so one file holds the
 * translations. `{name}` marks a value filled in at run time. Keep this file free of imports:
 * the browser build type-checks it too.
 */
export const WAITING_LANGUAGES = ['en', 'de', 'fr'] as const;
export type WaitingLanguage = (typeof WAITING_LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<WaitingLanguage, string> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
};

const en = {
  title: 'Waiting room: {event}',
  heading: 'Waiting room',
  event_label: 'Event',
  language_label: 'Language',
  intro:
    'When it is your turn you get a link to checkout. Keep this page open: you can reload it without losing your place.',
  join: 'Join the queue',
  joining: 'Joining…',
  pow_checking: 'Checking your browser…',
  pow_checking_percent: 'Checking your browser… {percent} %',
  pow_progress_label: 'Browser check',
  pow_help:
    'A short automatic check that keeps bots out of the queue. It takes a few seconds; Join is ready when it is done.',
  pow_done: 'Browser checked. You can join the queue now.',
  pow_unavailable: 'The browser check could not start. Trying again…',
  pow_failed: 'The browser check did not finish. Please try again.',
  noscript: 'This page needs JavaScript to hold your place in the queue.',
  status_label: 'Status',
  status_queued: 'You are in the queue',
  status_ready: 'It is your turn',
  position_label: 'Your place',
  position_value: '{position} of {queue_length}',
  wait_label: 'Estimated wait',
  wait_unknown: 'Not known yet',
  wait_under_minute: 'Less than a minute',
  wait_about: 'About {duration}',
  progress_label: 'Progress to the front',
  queued_help: 'Your place is kept while this page is open. We will tell you when it is your turn.',
  live_paused: 'Live updates interrupted: checking every few seconds.',
  draw_pending:
    'Everyone who joins before {time} is put in a random order at the opening: until then your place is provisional. The draw is already fixed; its fingerprint:',
  draw_revealed:
    'Your draw number is {draw} (within a priority, lower numbers go first). Anyone can check the order with the published seed:',
  position_rose_priority: 'A priority guest joined ahead of you, so your place moved back.',
  position_rose_draw: 'Someone drawn ahead of you joined: places are provisional until the opening.',
  announce_joined: 'You joined the queue. You are number {position}.',
  announce_position: 'You are now number {position} in the queue.',
  announce_ready: 'It is your turn. You can continue to checkout now.',
  ready_text: 'You can continue to checkout now. Your place is held until {time}.',
  checkout_link: 'Continue to checkout',
  token_label: 'Your admission token',
  token_help: 'Give this token to the checkout to prove it is your turn.',
  copy: 'Copy',
  copied: 'Copied',
  leave: 'Leave the queue',
  leave_confirm_title: 'Leave the queue?',
  leave_confirm_text: 'You lose your place. If you join again, you start at the back.',
  leave_confirm_yes: 'Yes, leave the queue',
  leave_confirm_no: 'Stay in the queue',
  left_heading: 'You left the queue',
  left_text: 'You no longer have a place in this queue.',
  sold_out_heading: 'Sold out',
  sold_out_text:
    'Everything for this event has been sold, so the queue has ended. We are sorry you did not get a turn.',
  message_label: 'Message from the organiser',
  join_again: 'Join the queue again',
  expired_heading: 'Your checkout time ran out',
  expired_text: 'The time to complete checkout has passed and your place was released.',
  abandoned_heading: 'Your place was released',
  abandoned_text: 'This page lost contact with the queue for too long, so your place was given up.',
  completed_heading: 'Checkout completed',
  completed_text: 'Your checkout is done. Thank you!',
  failed_heading: 'Checkout did not complete',
  failed_text: 'The checkout reported a problem and your place was released.',
  closed_heading: 'This queue is closed',
  closed_text: 'The event is not taking new people right now. Please check again later.',
  check_again: 'Check again',
  not_found_heading: 'Event not found',
  not_found_text: 'There is no waiting room for “{event}”. Please check the link you followed.',
  session_lost_heading: 'Your place could not be found',
  session_lost_text: 'The queue no longer knows this place (it may have ended long ago).',
  rate_limited_heading: 'Too many attempts',
  rate_limited_text:
    'Too many people joined from your network in a short time. You can try again at {time} (in {seconds} seconds).',
  try_again: 'Try again',
  unavailable_heading: 'The waiting room is busy',
  unavailable_text: 'We could not reach the queue. Trying again automatically in {seconds} seconds…',
  unavailable_page: 'The waiting room is briefly unavailable. Please reload this page in a few seconds.',
  error_heading: 'Something went wrong',
  error_text: 'We could not complete that ({detail}). Please try again.',
};

export type WaitingStrings = typeof en;

const de: WaitingStrings = {
  title: 'Warteraum: {event}',
  heading: 'Warteraum',
  event_label: 'Veranstaltung',
  language_label: 'Sprache',
  intro:
    'Wenn Sie an der Reihe sind, erhalten Sie einen Link zur Kasse. Lassen Sie diese Seite offen: Neu laden kostet Sie Ihren Platz nicht.',
  join: 'Der Warteschlange beitreten (Join)',
  joining: 'Beitritt läuft…',
  pow_checking: 'Ihr Browser wird geprüft…',
  pow_checking_percent: 'Ihr Browser wird geprüft… {percent} %',
  pow_progress_label: 'Browserprüfung',
  pow_help:
    'Eine kurze automatische Prüfung, die Bots aus der Warteschlange fernhält. Sie dauert einige Sekunden; danach können Sie beitreten.',
  pow_done: 'Browser geprüft. Sie können der Warteschlange jetzt beitreten.',
  pow_unavailable: 'Die Browserprüfung konnte nicht starten. Neuer Versuch…',
  pow_failed: 'Die Browserprüfung wurde nicht abgeschlossen. Bitte versuchen Sie es erneut.',
  noscript: 'Diese Seite braucht JavaScript, um Ihren Platz in der Warteschlange zu halten.',
  status_label: 'Status',
  status_queued: 'Sie sind in der Warteschlange',
  status_ready: 'Sie sind an der Reihe',
  position_label: 'Ihr Platz',
  position_value: '{position} von {queue_length}',
  wait_label: 'Geschätzte Wartezeit',
  wait_unknown: 'Noch unbekannt',
  wait_under_minute: 'Weniger als eine Minute',
  wait_about: 'Etwa {duration}',
  progress_label: 'Fortschritt nach vorne',
  queued_help:
    'Ihr Platz bleibt erhalten, solange diese Seite offen ist. Wir sagen Ihnen, wenn Sie an der Reihe sind.',
  live_paused: 'Live-Aktualisierung unterbrochen: wir fragen alle paar Sekunden nach.',
  draw_pending:
    'Wer vor {time} beitritt, wird bei der Öffnung zufällig gereiht: bis dahin ist Ihr Platz vorläufig. Die Auslosung steht schon fest; ihr Fingerabdruck:',
  draw_revealed:
    'Ihre Losnummer ist {draw} (innerhalb einer Priorität kommt die kleinere zuerst). Jeder kann die Reihenfolge mit dem veröffentlichten Startwert prüfen:',
  position_rose_priority:
    'Ein Gast mit Vorrang ist vor Ihnen beigetreten, deshalb ist Ihr Platz nach hinten gerückt.',
  position_rose_draw:
    'Jemand, der vor Ihnen gelost wurde, ist beigetreten: bis zur Öffnung sind die Plätze vorläufig.',
  announce_joined: 'Sie sind der Warteschlange beigetreten. Sie haben Platz {position}.',
  announce_position: 'Sie haben jetzt Platz {position} in der Warteschlange.',
  announce_ready: 'Sie sind an der Reihe. Sie können jetzt zur Kasse gehen.',
  ready_text: 'Sie können jetzt zur Kasse gehen. Ihr Platz ist bis {time} reserviert.',
  checkout_link: 'Weiter zur Kasse (checkout)',
  token_label: 'Ihr Zutrittstoken',
  token_help: 'Geben Sie dieses Token an der Kasse an, um zu zeigen, dass Sie an der Reihe sind.',
  copy: 'Kopieren',
  copied: 'Kopiert',
  leave: 'Warteschlange verlassen',
  leave_confirm_title: 'Warteschlange verlassen?',
  leave_confirm_text: 'Sie verlieren Ihren Platz. Wenn Sie erneut beitreten, stehen Sie wieder hinten.',
  leave_confirm_yes: 'Ja, Warteschlange verlassen',
  leave_confirm_no: 'In der Warteschlange bleiben',
  left_heading: 'Sie haben die Warteschlange verlassen',
  left_text: 'Sie haben keinen Platz mehr in dieser Warteschlange.',
  sold_out_heading: 'Ausverkauft',
  sold_out_text:
    'Für diese Veranstaltung ist alles verkauft, die Warteschlange ist beendet. Es tut uns leid, dass Sie nicht an die Reihe gekommen sind.',
  message_label: 'Nachricht des Veranstalters',
  join_again: 'Erneut beitreten (Join)',
  expired_heading: 'Ihre Zeit an der Kasse ist abgelaufen',
  expired_text: 'Die Zeit für den Kauf ist verstrichen, Ihr Platz wurde freigegeben.',
  abandoned_heading: 'Ihr Platz wurde freigegeben',
  abandoned_text:
    'Diese Seite hatte zu lange keine Verbindung zur Warteschlange, daher wurde Ihr Platz aufgegeben.',
  completed_heading: 'Kauf abgeschlossen',
  completed_text: 'Ihr Kauf ist abgeschlossen. Vielen Dank!',
  failed_heading: 'Kauf nicht abgeschlossen',
  failed_text: 'Die Kasse hat ein Problem gemeldet, Ihr Platz wurde freigegeben.',
  closed_heading: 'Diese Warteschlange ist geschlossen',
  closed_text: 'Die Veranstaltung nimmt gerade niemanden neu auf. Bitte versuchen Sie es später noch einmal.',
  check_again: 'Erneut prüfen',
  not_found_heading: 'Veranstaltung nicht gefunden',
  not_found_text: 'Für „{event}“ gibt es keinen Warteraum. Bitte prüfen Sie den Link, dem Sie gefolgt sind.',
  session_lost_heading: 'Ihr Platz wurde nicht gefunden',
  session_lost_text: 'Die Warteschlange kennt diesen Platz nicht mehr (er ist vielleicht längst beendet).',
  rate_limited_heading: 'Zu viele Versuche',
  rate_limited_text:
    'Aus Ihrem Netz sind in kurzer Zeit zu viele Personen beigetreten. Sie können es um {time} erneut versuchen (in {seconds} Sekunden).',
  try_again: 'Erneut versuchen',
  unavailable_heading: 'Der Warteraum ist ausgelastet',
  unavailable_text:
    'Die Warteschlange ist gerade nicht erreichbar. Neuer Versuch automatisch in {seconds} Sekunden…',
  unavailable_page:
    'Der Warteraum ist kurz nicht erreichbar. Bitte laden Sie die Seite in ein paar Sekunden neu.',
  error_heading: 'Etwas ist schiefgegangen',
  error_text: 'Das hat nicht geklappt ({detail}). Bitte versuchen Sie es erneut.',
};

const fr: WaitingStrings = {
  title: 'Salle d’attente : {event}',
  heading: 'Salle d’attente',
  event_label: 'Événement',
  language_label: 'Langue',
  intro:
    'Quand ce sera votre tour, vous recevrez un lien vers le paiement. Gardez cette page ouverte : vous pouvez la recharger sans perdre votre place.',
  join: 'Rejoindre la file (Join)',
  joining: 'Inscription…',
  pow_checking: 'Vérification de votre navigateur…',
  pow_checking_percent: 'Vérification de votre navigateur… {percent} %',
  pow_progress_label: 'Vérification du navigateur',
  pow_help:
    'Une courte vérification automatique qui tient les robots à l’écart de la file. Elle prend quelques secondes ; vous pourrez ensuite rejoindre la file.',
  pow_done: 'Navigateur vérifié. Vous pouvez rejoindre la file maintenant.',
  pow_unavailable: 'La vérification du navigateur n’a pas pu démarrer. Nouvel essai…',
  pow_failed: 'La vérification du navigateur n’a pas abouti. Veuillez réessayer.',
  noscript: 'Cette page a besoin de JavaScript pour garder votre place dans la file.',
  status_label: 'Statut',
  status_queued: 'Vous êtes dans la file',
  status_ready: 'C’est votre tour',
  position_label: 'Votre place',
  position_value: '{position} sur {queue_length}',
  wait_label: 'Attente estimée',
  wait_unknown: 'Pas encore connue',
  wait_under_minute: 'Moins d’une minute',
  wait_about: 'Environ {duration}',
  progress_label: 'Progression vers l’avant',
  queued_help:
    'Votre place est gardée tant que cette page est ouverte. Nous vous dirons quand ce sera votre tour.',
  live_paused: 'Mises à jour en direct interrompues : vérification toutes les quelques secondes.',
  draw_pending:
    'Les personnes arrivées avant {time} sont placées dans un ordre tiré au sort à l’ouverture : d’ici là, votre place est provisoire. Le tirage est déjà fixé ; son empreinte :',
  draw_revealed:
    'Votre numéro de tirage est {draw} (à priorité égale, le plus petit passe en premier). Chacun peut vérifier l’ordre avec la graine publiée :',
  position_rose_priority: 'Une personne prioritaire est arrivée devant vous : votre place a reculé.',
  position_rose_draw:
    'Une personne tirée au sort devant vous est arrivée : les places restent provisoires jusqu’à l’ouverture.',
  announce_joined: 'Vous avez rejoint la file. Vous êtes numéro {position}.',
  announce_position: 'Vous êtes maintenant numéro {position} dans la file.',
  announce_ready: 'C’est votre tour. Vous pouvez passer au paiement.',
  ready_text: 'Vous pouvez passer au paiement. Votre place est réservée jusqu’à {time}.',
  checkout_link: 'Passer au paiement (checkout)',
  token_label: 'Votre jeton d’admission',
  token_help: 'Donnez ce jeton au paiement pour prouver que c’est votre tour.',
  copy: 'Copier',
  copied: 'Copié',
  leave: 'Quitter la file',
  leave_confirm_title: 'Quitter la file ?',
  leave_confirm_text: 'Vous perdez votre place. Si vous revenez, vous repartez en fin de file.',
  leave_confirm_yes: 'Oui, quitter la file',
  leave_confirm_no: 'Rester dans la file',
  left_heading: 'Vous avez quitté la file',
  left_text: 'Vous n’avez plus de place dans cette file.',
  sold_out_heading: 'Complet',
  sold_out_text:
    'Tout a été vendu pour cet événement : la file est terminée. Nous sommes désolés que votre tour ne soit pas venu.',
  message_label: 'Message de l’organisateur',
  join_again: 'Rejoindre la file à nouveau (Join)',
  expired_heading: 'Votre temps de paiement est écoulé',
  expired_text: 'Le délai pour finaliser l’achat est passé et votre place a été libérée.',
  abandoned_heading: 'Votre place a été libérée',
  abandoned_text:
    'Cette page a perdu le contact avec la file trop longtemps, votre place a donc été abandonnée.',
  completed_heading: 'Paiement terminé',
  completed_text: 'Votre achat est terminé. Merci !',
  failed_heading: 'Le paiement n’a pas abouti',
  failed_text: 'Le paiement a signalé un problème et votre place a été libérée.',
  closed_heading: 'Cette file est fermée',
  closed_text: 'L’événement n’accepte personne de nouveau pour le moment. Revenez plus tard.',
  check_again: 'Vérifier à nouveau',
  not_found_heading: 'Événement introuvable',
  not_found_text: 'Il n’y a pas de salle d’attente pour « {event} ». Vérifiez le lien que vous avez suivi.',
  session_lost_heading: 'Votre place est introuvable',
  session_lost_text: 'La file ne connaît plus cette place (elle s’est peut-être terminée il y a longtemps).',
  rate_limited_heading: 'Trop de tentatives',
  rate_limited_text:
    'Trop de personnes ont rejoint depuis votre réseau en peu de temps. Vous pourrez réessayer à {time} (dans {seconds} secondes).',
  try_again: 'Réessayer',
  unavailable_heading: 'La salle d’attente est saturée',
  unavailable_text:
    'La file est injoignable pour le moment. Nouvel essai automatique dans {seconds} secondes…',
  unavailable_page:
    'La salle d’attente est brièvement indisponible. Rechargez cette page dans quelques secondes.',
  error_heading: 'Un problème est survenu',
  error_text: 'Cela n’a pas fonctionné ({detail}). Veuillez réessayer.',
};

export const WAITING_STRINGS: Record<WaitingLanguage, WaitingStrings> = { en, de, fr };

/** What the server hands the waiting page's script (JSON in #page-config). */
export interface WaitingPageConfig {
  lang: WaitingLanguage;
  event_id: string;
  /** The event's state when the page was rendered ("open", "paused" or "closed"). */
  event_state: string;
  /** Where an admitted person goes (waitroom_token is added), or null: show the token. */
  checkout_url: string | null;
  /**
   * Where the gate sent the person from (?return_to=), once checked against checkout_url's origin
   * and the event's gate_origins (pages/return-to.ts): an admitted person goes there (with
   * waitroom_token) instead of checkout_url. Null: none, or one that was not allowed.
   */
  return_to: string | null;
  /** The embedding site's user id (?user_id=), or null: the page keeps an anonymous id. */
  user_id: string | null;
  /** The site's identity token for user_id (?identity_token=), sent with the join; null: none. */
  identity_token: string | null;
  api_base: string;
  /**
   * The event's bot check, when it asks for a proof of work at join: the solver worker's script
   * and the challenges' difficulty (for the progress shown). Null: joins need no proof.
   */
  bot_check: { solver_url: string; max_number: number } | null;
  /** The event's brand accent, contrast-checked on the server (pages/brand.ts), or null. */
  brand: { accent: string; hover: string; onAccent: string } | null;
  strings: WaitingStrings;
}
