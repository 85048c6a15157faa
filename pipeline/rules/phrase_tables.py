"""The offline engine's sentences, per language, keyed by phrase id (pipeline.rules.phrases puts
the facts in), and the database words other languages translate. Data only."""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        # A payout put to the customer as a proposal: nothing is paid until they confirm.
        "apply_discount_offer": "Your {reason} of {percent} comes to {sum}, which I can refund to "
        "your original payment method.",
        "refund_shipping_offer": "Because the delivery promise of {promised} was missed, I can "
        "refund the {fee} shipping fee.",
        "issue_refund_offer": "I can refund {sum} to your original payment method.",
        "confirm_proposal": "Nothing is paid back until you confirm: press Confirm below, or reply "
        "yes.",
        "propose_refund": "Refund {sum} on order {number} to your original payment method?",
        "greeting": "Hi {first_name}! ",
        "english_only": "Sorry, I can only reply in English so far; if you'd rather be helped in "
        "your own language, ask for a person and a colleague will take over. ",
        "to_be_precise": "To be precise: ",
        "payout_to_human": "The compensation you're owed needs a colleague's approval, so I've "
        "passed it on with everything above.",
        "verify_failed": "I couldn't match that order number with that e-mail address. Please "
        "check both and send them again.",
        "ask_verification": "To look up an order I first need to confirm it's yours: please send "
        "the order number and the e-mail address you used to place it.",
        "order_not_found": "I can't find that order on your account. Your recent orders are: "
        "{numbers}.",
        "order_not_found_none": "I can't find that order on your account. Your recent orders "
        "are: none yet.",
        "ask_order": "Which order is this about? Your order number starts with ORD- and is in "
        "your confirmation e-mail.",
        "ask_which_order": "You have more than one order on its way: {orders}. Which one is "
        "this about?",
        "refund_shipping": "Because the delivery promise of {promised} was missed, I've refunded "
        "the {fee} shipping fee.",
        "status_unshipped": "Order {number} is {status} and hasn't shipped yet.",
        "status_delivered": "Order {number} was delivered by {carrier} on {day}.",
        "status_stalled": "Order {number} is with {carrier} (tracking {tracking}); its last scan "
        "was in {location} on {scan}. It hasn't moved since, so I can't count on it arriving on "
        "time.",
        "status_moving": "Order {number} is with {carrier} (tracking {tracking}); its last scan "
        "was in {location} on {scan}. It's expected by {expected}.",
        "last_scan": "its last scan",
        "deadline_at_risk": "The current parcel may not reach you by {deadline}.",
        "deadline_ok": "It should arrive before {deadline}, so no change is needed.",
        "no_option": "None of our faster options can arrive in time, so I'm passing this to a "
        "colleague who can look at alternatives.",
        "option_best": "The quickest fix is {article} {name}, {price}, arriving by {arrives}.",
        "option_other": "Another option is {article} {name}, {price}, arriving by {arrives}.",
        "price_free_for_you": "free for you (normally {cost})",
        "price_free": "free",
        "discount_already": "Your loyalty discount has already been applied to this order.",
        "discount_refused": "I can't add a loyalty discount to this order: {reason}.",
        "apply_discount": "I've applied your {reason} of {percent}: {sum} goes back to your "
        "original payment method.",
        "refund_refused": "I can't refund this order: {reason}.",
        "refund_to_human": "A refund of {sum} needs a colleague's approval, so I've passed it on.",
        "issue_refund": "I've started a refund of {sum} to your original payment method.",
        "offer_cancel": "Order {number} hasn't shipped, so I can cancel it for a full refund.",
        "propose_cancel": "Cancel order {number} for a full refund?",
        "confirm_change": "Nothing changes until you confirm: press Confirm below, or reply yes.",
        "cancel_cancelled": "Order {number} is already cancelled, so there is nothing more to "
        "cancel.",
        "cancel_returned": "Order {number} has already been returned.",
        "cancel_delivered": "Order {number} has already been delivered, so it can't be "
        "cancelled; you can return it for a refund instead.",
        "cancel_shipped": "Order {number} has already shipped, so it can't be cancelled; once it "
        "arrives you can return it for a refund.",
        "offer_address_change": "Order {number} hasn't shipped yet, so the address can still be "
        "changed: send me the new address.",
        "address_refused": "Order {number} has already shipped, so I can't change its address; "
        "the carrier may be able to redirect it.",
        "no_article": "I'm sorry, I don't have an article on that, and I'd rather not guess. "
        "Would you like me to bring in a member of our team?",
        "offer_person": "Would you like me to bring in a member of our team for what I couldn't "
        "answer?",
        "capabilities": "I'm the store's assistant: I can check where an order is, speed up a "
        "delivery, apply loyalty discounts, help with refunds, cancellations and address "
        "changes, and answer questions from our help center. What can I do for you?",
        "article": "{text}",
        "clarify_two": "Just to be sure I help with the right thing: do you want to {first}, or "
        "{second}?",
        "clarify_one": "Just to be sure I help with the right thing: do you want to {first}, or "
        "is it something else?",
        "clarify_none": "I'm not sure I understood. Could you tell me a little more about what "
        "you need?",
        "handoff": "I'm bringing in a member of our team to help with this; you'll see them "
        "join here, and you can keep writing in the meantime.",
        "meaning_order_status": "know where your order is",
        "meaning_shipping_expedite": "get a delivery faster or ask about shipping options",
        "meaning_refund_request": "return something or get a refund",
        "meaning_cancel_order": "cancel an order",
        "meaning_change_order": "change something in an order",
        "meaning_place_order": "buy something",
        "meaning_change_address": "change a delivery address",
        "meaning_payment": "sort out a payment or a charge",
        "meaning_invoice": "get an invoice or receipt",
        "meaning_product_inquiry": "ask about a product",
        "meaning_complaint_escalation": "make a complaint",
        "meaning_human_agent": "talk to a person",
        "meaning_account": "get help with your account or our website",
        "meaning_feedback": "leave feedback",
    },
    "es": {
        "apply_discount_offer": "Tu descuento {tier} del {percent} son {sum}, que puedo "
        "reembolsar a tu método de pago original.",
        "refund_shipping_offer": "Como no se cumplió la entrega prometida para el {promised}, "
        "puedo reembolsarte los {fee} del envío.",
        "issue_refund_offer": "Puedo reembolsarte {sum} a tu método de pago original.",
        "confirm_proposal": "No se devuelve nada hasta que lo confirmes: pulsa «Confirm» abajo o "
        "responde «sí».",
        "propose_refund": "¿Reembolsar {sum} del pedido {number} a tu método de pago original?",
        "greeting": "¡Hola, {first_name}! ",
        "to_be_precise": "Para ser exactos: ",
        "payout_to_human": "La compensación que te corresponde necesita la aprobación de un "
        "compañero, así que se la he pasado junto con todo lo anterior.",
        "verify_failed": "No he podido relacionar ese número de pedido con esa dirección de "
        "correo electrónico. Revisa los dos datos y envíamelos de nuevo.",
        "ask_verification": "Para consultar un pedido, primero necesito confirmar que es tuyo: "
        "envíame el número de pedido y la dirección de correo electrónico con la que lo hiciste.",
        "order_not_found": "No encuentro ese pedido en tu cuenta. Tus pedidos recientes son: "
        "{numbers}.",
        "order_not_found_none": "No encuentro ese pedido en tu cuenta, y todavía no tienes "
        "pedidos recientes.",
        "ask_order": "¿De qué pedido se trata? Tu número de pedido empieza por ORD- y aparece en "
        "tu correo de confirmación.",
        "ask_which_order": "Tienes más de un pedido en curso: {orders}. ¿De cuál se trata?",
        "refund_shipping": "Como no se cumplió la entrega prometida para el {promised}, te he "
        "reembolsado los {fee} del envío.",
        "status_unshipped": "El pedido {number} está {status} y todavía no se ha enviado.",
        "status_delivered": "{carrier} entregó el pedido {number} el {day}.",
        "status_stalled": "El pedido {number} está con {carrier} (seguimiento {tracking}); su "
        "último escaneo fue en {location} el {scan}. No se ha movido desde entonces, así que no "
        "puedo asegurar que llegue a tiempo.",
        "status_moving": "El pedido {number} está con {carrier} (seguimiento {tracking}); su "
        "último escaneo fue en {location} el {scan}. Debería llegar el {expected}.",
        "deadline_at_risk": "Puede que el paquete actual no te llegue antes del {deadline}.",
        "deadline_ok": "Debería llegar antes del {deadline}, así que no hace falta cambiar nada.",
        "no_option": "Ninguna de nuestras opciones más rápidas llega a tiempo, así que paso tu "
        "caso a un compañero que puede buscar alternativas.",
        "option_best": "Lo más rápido es {name}, {price}, con llegada el {arrives}.",
        "option_other": "Otra opción es {name}, {price}, con llegada el {arrives}.",
        "price_free_for_you": "gratis para ti (normalmente {cost})",
        "price_free": "gratis",
        "discount_already": "Tu descuento de fidelidad ya se ha aplicado a este pedido.",
        "apply_discount": "He aplicado tu descuento {tier} del {percent}: {sum} vuelven a tu "
        "método de pago original.",
        "refund_to_human": "Un reembolso de {sum} necesita la aprobación de un compañero, así "
        "que se lo he pasado.",
        "issue_refund": "He iniciado un reembolso de {sum} a tu método de pago original.",
        "offer_cancel": "El pedido {number} no se ha enviado, así que puedo cancelarlo con "
        "reembolso completo.",
        "propose_cancel": "¿Cancelar el pedido {number} con reembolso completo?",
        "confirm_change": "No cambio nada hasta que lo confirmes: pulsa «Confirm» abajo o "
        "responde «sí».",
        "cancel_cancelled": "El pedido {number} ya está cancelado, así que no hay nada más que "
        "cancelar.",
        "cancel_returned": "El pedido {number} ya se ha devuelto.",
        "cancel_delivered": "El pedido {number} ya se ha entregado, así que no se puede "
        "cancelar; en su lugar, puedes devolverlo y recibir un reembolso.",
        "cancel_shipped": "El pedido {number} ya se ha enviado, así que no se puede cancelar; "
        "cuando llegue, puedes devolverlo y recibir un reembolso.",
        "offer_address_change": "El pedido {number} todavía no se ha enviado, así que aún se "
        "puede cambiar la dirección: envíame la nueva.",
        "address_refused": "El pedido {number} ya se ha enviado, así que no puedo cambiar su "
        "dirección; puede que la empresa de transporte pueda desviarlo.",
        "no_article": "Lo siento, no tengo ningún artículo sobre eso y prefiero no adivinar. "
        "¿Quieres que te pase con una persona de nuestro equipo?",
        "offer_person": "¿Quieres que te pase con una persona de nuestro equipo para lo que no he "
        "podido responder?",
        "capabilities": "Soy el asistente de la tienda: puedo consultar dónde está un pedido, "
        "acelerar una entrega, aplicar descuentos de fidelidad y ayudarte con reembolsos, "
        "cancelaciones y cambios de dirección. ¿En qué puedo ayudarte?",
        "clarify_two": "Para asegurarme de ayudarte con lo correcto: ¿quieres {first} o {second}?",
        "clarify_one": "Para asegurarme de ayudarte con lo correcto: ¿quieres {first} o se "
        "trata de otra cosa?",
        "clarify_none": "No estoy seguro de haberte entendido. ¿Puedes contarme un poco más "
        "sobre lo que necesitas?",
        "handoff": "Voy a pedir ayuda a una persona de nuestro equipo; la verás unirse aquí, y "
        "mientras tanto puedes seguir escribiendo.",
        "meaning_order_status": "saber dónde está tu pedido",
        "meaning_shipping_expedite": "recibir una entrega antes o consultar opciones de envío",
        "meaning_refund_request": "devolver algo o pedir un reembolso",
        "meaning_cancel_order": "cancelar un pedido",
        "meaning_change_order": "cambiar algo de un pedido",
        "meaning_place_order": "comprar algo",
        "meaning_change_address": "cambiar una dirección de entrega",
        "meaning_payment": "resolver un pago o un cargo",
        "meaning_invoice": "obtener una factura o un recibo",
        "meaning_product_inquiry": "preguntar por un producto",
        "meaning_complaint_escalation": "presentar una queja",
        "meaning_human_agent": "hablar con una persona",
        "meaning_account": "recibir ayuda con tu cuenta o con nuestra web",
        "meaning_feedback": "dejar tu opinión",
    },
    "fr": {
        "apply_discount_offer": "Votre remise {tier} de {percent} représente {sum}, que je peux "
        "vous rembourser sur votre moyen de paiement d'origine.",
        "refund_shipping_offer": "Comme la livraison promise pour le {promised} n'a pas été tenue, "
        "je peux vous rembourser les {fee} de frais de port.",
        "issue_refund_offer": "Je peux vous rembourser {sum} sur votre moyen de paiement d'origine.",
        "confirm_proposal": "Rien n'est remboursé avant votre confirmation : appuyez sur "
        "« Confirm » ci-dessous ou répondez « oui ».",
        "propose_refund": "Rembourser {sum} de la commande {number} sur votre moyen de paiement "
        "d'origine ?",
        "greeting": "Bonjour {first_name} ! ",
        "to_be_precise": "Pour être précis : ",
        "payout_to_human": "Le dédommagement qui vous est dû doit être approuvé par un collègue ; "
        "je le lui ai transmis avec tout ce qui précède.",
        "verify_failed": "Je n'ai pas pu associer ce numéro de commande à cette adresse e-mail. "
        "Vérifiez les deux et renvoyez-les-moi.",
        "ask_verification": "Pour consulter une commande, je dois d'abord vérifier qu'elle est à "
        "vous : envoyez-moi le numéro de commande et l'adresse e-mail utilisée pour la passer.",
        "order_not_found": "Je ne trouve pas cette commande sur votre compte. Vos commandes "
        "récentes : {numbers}.",
        "order_not_found_none": "Je ne trouve pas cette commande sur votre compte, et vous "
        "n'avez pas encore de commande récente.",
        "ask_order": "De quelle commande s'agit-il ? Votre numéro de commande commence par ORD- "
        "et figure dans votre e-mail de confirmation.",
        "ask_which_order": "Vous avez plusieurs commandes en cours : {orders}. De laquelle "
        "s'agit-il ?",
        "refund_shipping": "Comme la livraison promise pour le {promised} n'a pas été tenue, je "
        "vous ai remboursé les {fee} de frais de port.",
        "status_unshipped": "La commande {number} est {status} et n'a pas encore été expédiée.",
        "status_delivered": "La commande {number} a été livrée par {carrier} le {day}.",
        "status_stalled": "La commande {number} est chez {carrier} (suivi {tracking}) ; son "
        "dernier scan a eu lieu à {location} le {scan}. Elle n'a pas bougé depuis, je ne peux "
        "donc pas compter sur une arrivée à temps.",
        "status_moving": "La commande {number} est chez {carrier} (suivi {tracking}) ; son "
        "dernier scan a eu lieu à {location} le {scan}. Elle est attendue pour le {expected}.",
        "deadline_at_risk": "Le colis actuel risque de ne pas vous parvenir avant le {deadline}.",
        "deadline_ok": "Il devrait arriver avant le {deadline} : aucun changement n'est donc "
        "nécessaire.",
        "no_option": "Aucune de nos options plus rapides ne peut arriver à temps ; je transmets "
        "donc votre demande à un collègue qui pourra étudier d'autres solutions.",
        "option_best": "La solution la plus rapide est {name}, {price}, avec une livraison le "
        "{arrives}.",
        "option_other": "Autre possibilité : {name}, {price}, avec une livraison le {arrives}.",
        "price_free_for_you": "gratuit pour vous (normalement {cost})",
        "price_free": "gratuit",
        "discount_already": "Votre remise fidélité a déjà été appliquée à cette commande.",
        "apply_discount": "J'ai appliqué votre remise {tier} de {percent} : {sum} vous sont "
        "reversés sur votre moyen de paiement d'origine.",
        "refund_to_human": "Un remboursement de {sum} doit être approuvé par un collègue ; je "
        "le lui ai transmis.",
        "issue_refund": "J'ai lancé un remboursement de {sum} sur votre moyen de paiement "
        "d'origine.",
        "offer_cancel": "La commande {number} n'a pas été expédiée : je peux l'annuler avec un "
        "remboursement intégral.",
        "propose_cancel": "Annuler la commande {number} avec un remboursement intégral ?",
        "confirm_change": "Rien ne change avant votre confirmation : appuyez sur « Confirm » "
        "ci-dessous ou répondez « oui ».",
        "cancel_cancelled": "La commande {number} est déjà annulée, il n'y a donc plus rien à "
        "annuler.",
        "cancel_returned": "La commande {number} a déjà été retournée.",
        "cancel_delivered": "La commande {number} a déjà été livrée, elle ne peut donc plus être "
        "annulée ; vous pouvez en revanche la retourner pour être remboursé.",
        "cancel_shipped": "La commande {number} a déjà été expédiée, elle ne peut donc plus être "
        "annulée ; une fois reçue, vous pourrez la retourner pour être remboursé.",
        "offer_address_change": "La commande {number} n'a pas encore été expédiée, l'adresse "
        "peut donc encore être modifiée : envoyez-moi la nouvelle adresse.",
        "address_refused": "La commande {number} a déjà été expédiée, je ne peux donc plus "
        "modifier son adresse ; le transporteur pourra peut-être la rediriger.",
        "no_article": "Désolé, je n'ai pas d'article à ce sujet et je préfère ne pas deviner. "
        "Voulez-vous que je fasse appel à un membre de notre équipe ?",
        "offer_person": "Voulez-vous que je fasse appel à un membre de notre équipe pour ce que je "
        "n'ai pas pu répondre ?",
        "capabilities": "Je suis l'assistant de la boutique : je peux vérifier où en est une "
        "commande, accélérer une livraison, appliquer des remises fidélité et vous aider pour "
        "les remboursements, les annulations et les changements d'adresse. Que puis-je faire "
        "pour vous ?",
        "clarify_two": "Pour être sûr de bien vous aider : souhaitez-vous {first}, ou {second} ?",
        "clarify_one": "Pour être sûr de bien vous aider : souhaitez-vous {first}, ou "
        "s'agit-il d'autre chose ?",
        "clarify_none": "Je ne suis pas sûr d'avoir compris. Pouvez-vous m'en dire un peu plus "
        "sur ce dont vous avez besoin ?",
        "handoff": "Je fais appel à un membre de notre équipe pour vous aider ; vous le verrez "
        "rejoindre la conversation ici, et vous pouvez continuer à écrire en attendant.",
        "meaning_order_status": "savoir où en est votre commande",
        "meaning_shipping_expedite": "être livré plus vite ou connaître les options de livraison",
        "meaning_refund_request": "retourner un article ou être remboursé",
        "meaning_cancel_order": "annuler une commande",
        "meaning_change_order": "modifier une commande",
        "meaning_place_order": "acheter quelque chose",
        "meaning_change_address": "changer une adresse de livraison",
        "meaning_payment": "régler un problème de paiement ou de prélèvement",
        "meaning_invoice": "obtenir une facture ou un reçu",
        "meaning_product_inquiry": "vous renseigner sur un produit",
        "meaning_complaint_escalation": "déposer une réclamation",
        "meaning_human_agent": "parler à une personne",
        "meaning_account": "obtenir de l'aide pour votre compte ou notre site",
        "meaning_feedback": "donner votre avis",
    },
    "de": {
        "apply_discount_offer": "Ihr {tier}-Rabatt von {percent} beträgt {sum}; diesen Betrag "
        "kann ich Ihnen auf Ihre ursprüngliche Zahlungsmethode erstatten.",
        "refund_shipping_offer": "Da der zugesagte Liefertermin ({promised}) verpasst wurde, kann "
        "ich Ihnen die Versandkosten von {fee} erstatten.",
        "issue_refund_offer": "Ich kann Ihnen {sum} auf Ihre ursprüngliche Zahlungsmethode "
        "erstatten.",
        "confirm_proposal": "Erstattet wird erst, wenn Sie bestätigen: Tippen Sie unten auf "
        "„Confirm“ oder antworten Sie „ja“.",
        "propose_refund": "{sum} aus Bestellung {number} auf Ihre ursprüngliche Zahlungsmethode "
        "erstatten?",
        "greeting": "Hallo {first_name}! ",
        "to_be_precise": "Genauer gesagt: ",
        "payout_to_human": "Die Entschädigung, die Ihnen zusteht, muss ein Kollege freigeben; "
        "ich habe sie zusammen mit allem oben Genannten weitergegeben.",
        "verify_failed": "Ich konnte diese Bestellnummer nicht dieser E-Mail-Adresse zuordnen. "
        "Bitte prüfen Sie beides und senden Sie es noch einmal.",
        "ask_verification": "Um eine Bestellung nachzusehen, muss ich zuerst bestätigen, dass "
        "sie Ihnen gehört: Bitte senden Sie mir die Bestellnummer und die E-Mail-Adresse, mit "
        "der Sie bestellt haben.",
        "order_not_found": "Ich kann diese Bestellung in Ihrem Konto nicht finden. Ihre letzten "
        "Bestellungen: {numbers}.",
        "order_not_found_none": "Ich kann diese Bestellung in Ihrem Konto nicht finden, und Sie "
        "haben noch keine Bestellungen.",
        "ask_order": "Um welche Bestellung geht es? Ihre Bestellnummer beginnt mit ORD- und "
        "steht in Ihrer Bestätigungs-E-Mail.",
        "ask_which_order": "Sie haben mehrere laufende Bestellungen: {orders}. Um welche geht es?",
        "refund_shipping": "Da der zugesagte Liefertermin ({promised}) verpasst wurde, habe ich "
        "Ihnen die Versandkosten von {fee} erstattet.",
        "status_unshipped": "Die Bestellung {number} ist {status} und wurde noch nicht versandt.",
        "status_delivered": "Die Bestellung {number} wurde am {day} von {carrier} zugestellt.",
        "status_stalled": "Die Bestellung {number} ist bei {carrier} (Sendungsnummer "
        "{tracking}); zuletzt wurde sie am {scan} in {location} gescannt. Seitdem hat sie sich "
        "nicht bewegt, daher kann ich nicht mit einer pünktlichen Ankunft rechnen.",
        "status_moving": "Die Bestellung {number} ist bei {carrier} (Sendungsnummer "
        "{tracking}); zuletzt wurde sie am {scan} in {location} gescannt. Sie wird bis "
        "{expected} erwartet.",
        "deadline_at_risk": "Das aktuelle Paket erreicht Sie möglicherweise nicht bis {deadline}.",
        "deadline_ok": "Es sollte vor {deadline} ankommen, daher ist keine Änderung nötig.",
        "no_option": "Keine unserer schnelleren Versandarten kommt rechtzeitig an, daher gebe "
        "ich das an einen Kollegen weiter, der nach Alternativen suchen kann.",
        "option_best": "Am schnellsten geht es mit {name}, {price}, Ankunft bis {arrives}.",
        "option_other": "Eine weitere Möglichkeit ist {name}, {price}, Ankunft bis {arrives}.",
        "price_free_for_you": "für Sie kostenlos (sonst {cost})",
        "price_free": "kostenlos",
        "discount_already": "Ihr Treuerabatt wurde bereits auf diese Bestellung angewendet.",
        "apply_discount": "Ich habe Ihren {tier}-Rabatt von {percent} angewendet: {sum} gehen "
        "zurück auf Ihre ursprüngliche Zahlungsmethode.",
        "refund_to_human": "Eine Erstattung von {sum} muss ein Kollege freigeben; ich habe "
        "sie weitergegeben.",
        "issue_refund": "Ich habe eine Erstattung von {sum} auf Ihre ursprüngliche "
        "Zahlungsmethode veranlasst.",
        "offer_cancel": "Die Bestellung {number} wurde noch nicht versandt, ich kann sie daher "
        "gegen volle Erstattung stornieren.",
        "propose_cancel": "Bestellung {number} gegen volle Erstattung stornieren?",
        "confirm_change": "Es ändert sich nichts, bevor Sie bestätigen: Tippen Sie unten auf "
        "„Confirm“ oder antworten Sie „ja“.",
        "cancel_cancelled": "Die Bestellung {number} ist bereits storniert, es gibt also nichts "
        "mehr zu stornieren.",
        "cancel_returned": "Die Bestellung {number} wurde bereits zurückgeschickt.",
        "cancel_delivered": "Die Bestellung {number} wurde bereits zugestellt und kann daher "
        "nicht storniert werden; Sie können sie stattdessen gegen Erstattung zurückschicken.",
        "cancel_shipped": "Die Bestellung {number} wurde bereits versandt und kann daher nicht "
        "storniert werden; sobald sie ankommt, können Sie sie gegen Erstattung zurückschicken.",
        "offer_address_change": "Die Bestellung {number} wurde noch nicht versandt, die Adresse "
        "kann also noch geändert werden: Senden Sie mir die neue Adresse.",
        "address_refused": "Die Bestellung {number} wurde bereits versandt, daher kann ich die "
        "Adresse nicht mehr ändern; der Paketdienst kann sie eventuell umleiten.",
        "no_article": "Leider habe ich dazu keinen Artikel, und ich möchte nicht raten. Soll "
        "ich ein Mitglied unseres Teams dazuholen?",
        "offer_person": "Soll ich für das, was ich nicht beantworten konnte, ein Mitglied "
        "unseres Teams dazuholen?",
        "capabilities": "Ich bin der Assistent des Shops: Ich kann nachsehen, wo eine "
        "Bestellung ist, eine Lieferung beschleunigen, Treuerabatte anwenden und bei "
        "Erstattungen, Stornierungen und Adressänderungen helfen. Was kann ich für Sie tun?",
        "clarify_two": "Damit ich Ihnen richtig helfe: Möchten Sie {first} oder {second}?",
        "clarify_one": "Damit ich Ihnen richtig helfe: Möchten Sie {first}, oder geht es um "
        "etwas anderes?",
        "clarify_none": "Ich bin nicht sicher, ob ich Sie richtig verstanden habe. Können Sie "
        "mir etwas mehr darüber sagen, was Sie brauchen?",
        "handoff": "Ich hole ein Mitglied unseres Teams dazu; Sie sehen hier, wenn es "
        "dazukommt, und Sie können in der Zwischenzeit weiterschreiben.",
        "meaning_order_status": "wissen, wo Ihre Bestellung ist",
        "meaning_shipping_expedite": "eine Lieferung beschleunigen oder nach Versandarten fragen",
        "meaning_refund_request": "etwas zurückschicken oder eine Erstattung bekommen",
        "meaning_cancel_order": "eine Bestellung stornieren",
        "meaning_change_order": "etwas an einer Bestellung ändern",
        "meaning_place_order": "etwas kaufen",
        "meaning_change_address": "eine Lieferadresse ändern",
        "meaning_payment": "eine Zahlung oder Abbuchung klären",
        "meaning_invoice": "eine Rechnung oder Quittung bekommen",
        "meaning_product_inquiry": "etwas zu einem Produkt fragen",
        "meaning_complaint_escalation": "sich beschweren",
        "meaning_human_agent": "mit einem Menschen sprechen",
        "meaning_account": "Hilfe zu Ihrem Konto oder unserer Website bekommen",
        "meaning_feedback": "Feedback geben",
    },
}
# Order statuses as each language says them after "is" ("está", "est", "ist").
TERMS: dict[str, dict[str, str]] = {
    "es": {
        "pending": "pendiente de pago",
        "paid": "pagado",
        "processing": "en preparación",
        "shipped": "enviado",
        "delivered": "entregado",
        "cancelled": "cancelado",
        "returned": "devuelto",
    },
    "fr": {
        "pending": "en attente de paiement",
        "paid": "payée",
        "processing": "en préparation",
        "shipped": "expédiée",
        "delivered": "livrée",
        "cancelled": "annulée",
        "returned": "retournée",
    },
    "de": {
        "pending": "noch nicht bezahlt",
        "paid": "bezahlt",
        "processing": "in Bearbeitung",
        "shipped": "versandt",
        "delivered": "zugestellt",
        "cancelled": "storniert",
        "returned": "zurückgeschickt",
    },
}
