// The campfire scene of the demo village: Mira and Bram talk by the fire, Yuki joins, and the player
// may answer. Each spoken line is "Speaker: words", with optional tags (docs/scenes.md):
//   # emotion: NAME [INTENSITY]   # gesture: BEHAVIOR   # look: CHARACTER   # pause: SECONDS
// A line without an emotion tag gets one from the dialogue classifier.
// Compile with inkle's compiler after an edit (docs/scenes.md):
//   npx inkjs-compiler assets/scenes/campfire.ink -o assets/scenes/campfire.json

-> campfire

=== campfire ===
Mira: Bram! Come sit by the fire, it's warm tonight. # emotion: joy 0.8 # gesture: wave # look: bram
Bram: I'm on duty. The fire will have to wait. # emotion: neutral 0.7 # look: mira
Mira: You're always on duty. Even the king rests sometimes. # look: bram
# pause: 0.6
Bram: Hmph. Five minutes, then. # emotion: neutral 0.6 # gesture: warm_hands
Yuki: Um... I heard something moving in the woods. # emotion: fear 0.8 # gesture: cower # look: bram
Bram: Stay behind me. Nobody scares the village on my watch. # emotion: anger 0.7 # gesture: glare
Mira: It was probably just a fox. Right? # emotion: surprise 0.6 # look: yuki
* [Reassure them] -> reassure
* [Tease Bram] -> tease

= reassure
Player: Don't worry, I saw a fox by the well earlier. # look: yuki
Yuki: Oh, thank goodness. I feel silly now. # emotion: surprise 0.5 # gesture: blush
-> settle

= tease
Player: The brave guard, hiding by the fire? # emotion: joy 0.6 # look: bram
Bram: Watch your tongue, traveller. # emotion: anger 0.8 # gesture: stomp
Mira: Don't tease him, he is trying his best. # emotion: sadness 0.4 # look: bram
-> settle

= settle
# pause: 0.4
Mira: Let's just enjoy the fire together. # emotion: joy 0.7 # gesture: hum
-> END
